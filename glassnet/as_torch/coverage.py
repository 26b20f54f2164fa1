"""Which public torch names glassnet has, which it leaves out on purpose (and why), and which
are still to do: the table behind ``tests/test_torch_coverage.py`` and the as-torch docs.

>>> reason_left_out("torch", "quantize_per_tensor")
'quantization: glassnet computes in float; integer-quantized kernels are a deployment concern'
>>> reason_left_out("torch", "tensor") is None
True
"""

from __future__ import annotations

import re

# (namespace pattern, name pattern, reason): a public torch name matching a row is left out on
# purpose. Each row is one decision, with its reason.
DELIBERATE = [
    (
        r".*",
        r"^[A-Z_]+$|^(TYPE_CHECKING|Callable|Optional|Tensor|DType|torch|np|math|os|sys|"
        r"warnings|importlib|inspect|functools|ctypes|glob|textwrap|threading|platform|builtins|"
        r"dataclasses|types|.*_notes|common_args|factory_common_args|multi_dim_common)$",
        "constants, type aliases and modules that torch's namespace re-exports from Python",
    ),
    (
        r".*",
        r"quantiz|^q_|^qint|^quint|^qscheme|^per_(tensor|channel)|int_repr|dequantize|"
        r"fake_quant|^quantized|choose_qparams|^qat$|intrinsic",
        "quantization: glassnet computes in float; integer-quantized kernels are a deployment "
        "concern",
    ),
    (
        r".*",
        r"sparse|coalesce|^(c?col|crow|row)_indices|^indices|^values$|^to_dense|dense_dim|"
        r"^smm|^hsmm|^hspmm|^dsmm|^saddmm|^spmm|^sspaddmm|_bsr|_bsc|_csr|_csc",
        "sparse layouts: NumPy has no sparse arrays; glassnet tensors are dense",
    ),
    (
        r".*",
        r"cudnn|miopen|mkldnn|fbgemm|^native_|vulkan|_xla|xla_|ipu|mtia|maia|^xpu$|"
        r"^is_xpu|^mps$|^cpu$|record_stream|pin_memory|is_pinned",
        "vendor kernels and device back ends PyTorch calls internally (glassnet's devices are "
        "NumPy and CuPy)",
    ),
    (
        r".*",
        r"Storage|storage|^(Bool|Byte|Char|Short|Int|Long|Half|Float|Double|BFloat16)Tensor$|"
        r"set_default_tensor_type|data_ptr|stride$|storage_offset|share_memory|is_shared|"
        r"untyped|from_file|frombuffer|dlpack|as_strided|is_set_to|^set_$|resize|^new$",
        "storages and raw memory: a glassnet tensor is a NumPy/CuPy array, and strides belong to "
        "it (legacy typed-tensor classes are not carried over)",
    ),
    (
        r".*",
        r"^jit$|Script|^Graph|^Node$|^Block$|^Value$|^Use$|^Type$|Type$|^Argument|"
        r"^FunctionSchema|^CompilationUnit|^Code$|^FileCheck|_ir|parse_|TracingState|^Aliasdb|"
        r"AliasDb|^Gradient$|^IODescriptor|^ExecutionPlan|GraphExecutor|merge_type|"
        r"unify_type|^Capsule|^ErrorReport|^CallStack|^DeepCopy|^ConcreteModule|^InferredType|"
        r"^LiteScript|^StaticModule|^fork$|^wait$|^Future|^futures$|^classes$|^library$|^Tag$|"
        r"^Dispatch|^ExcludeDispatch|^DisableTorchFunction|overrides|has_torch_function|"
        r"handle_torch_function|boolean_dispatch|^Broadcasting|^OperatorInfo|^PRIVATE_OPS|"
        r"^PyTorchFile|Serializ|^LoggerBase|^LockingLogger|^NoopLogger|^ThroughputBenchmark|"
        r"^Benchmark|^AggregationType|^classproperty|^thread_safe_generator|typename|torch_version|"
        r"compiled_with_cxx11_abi|^cpp$|^func$|^package$|^hub$|^monitor$|^testing$|^utils$|"
        r"^return_types$|^version$|^get_file_path|prepare_multiprocessing|^multiprocessing$|"
        r"^is_warn_always|set_warn_always|^USE_|^SymBool|^SymInt|^SymFloat|^sym_|^jagged$|"
        r"^nested$|is_nested|to_padded_tensor|^module_load|^hash_tensor|^while_loop|^cond$|"
        r"^AcceleratorError|^FatalError|^OutOfMemoryError|^Event$|^Stream$|^StreamObjType",
        "TorchScript, the dispatcher, symbolic shapes and other PyTorch internals: glassnet runs "
        "plain Python, which is the point of the glass box",
    ),
    (
        r".*",
        r"^compile(r)?$|^export$|^fx$|^vmap$|^func$|^segment_reduce",
        "graph capture and transforms: glassnet's own answer is glassnet.compile (issue: speed)",
    ),
    (
        r".*",
        r"^chalf$|complex32|float8|float4|^bits|^u?int[1-7]$|^uint(16|32|64)$",
        "low-precision dtypes NumPy has no type for (float8, float4, complex32, sub-byte and "
        "wide unsigned integers); bfloat16 and autocast are glassnet.amp's",
    ),
    (
        "torch",
        r"^set_autocast_|^autocast_(in|de)crement_nesting$|autocast_cache",
        "the switches torch.autocast flips inside itself (nesting counters, the weight-cast "
        "cache): in glassnet an autocast region is the one way in, and nothing is cached",
    ),
    (
        r".*",
        r"^(onnx|contrib|nativert|numa|backends)$",
        "subpackages that appear once imported: ONNX export comes with the deployment issue; "
        "the others are PyTorch internals (glassnet.backends exists at the top level)",
    ),
    (
        r".*",
        r"SyncBatchNorm|^distributions$|"
        r"^masked$|^profiler$|^ao$|^quasirandom$|^special$|^fft$|^linalg$|^sparse$",
        "whole subpackages outside the guides (torch.distributions, masked, profiler, ao, "
        "SyncBatchNorm); the others are glassnet's own subpackages under the same names",
    ),
    (
        r".*",
        r"_copy$|^unsafe_|^alias_copy|^slice_inverse|^nonzero_static|^empty_permuted|"
        r"^empty_quantized|^empty_strided|^new_empty_strided|_with_indices$|^conv_tbc|"
        r"^affine_grid_generator|^constant_pad_nd|^convolution$|^grid_sampler|^batch_norm_|"
        r"^embedding_renorm_|^norm_except_dim|^split_with_sizes|^output_nr|^volatile$|"
        r"^reinforce$|^map2?_$|^apply_$|^as_subclass|^dim_order|^const_data_ptr|^grad_dtype|"
        r"^itemsize$|^nbytes$|^layout$|^strided$|^channels_last_3d$|^legacy_contiguous_format$|"
        r"^get_device$|^get_device_module|^is_inference$|^is_neg$|^is_conj$|^resolve_(neg|conj)|"
        r"^conj_physical|^is_vulkan|^scaled_(grouped_)?mm|^grouped_mm|ScalingType|SwizzleType|"
        r"^is_anomaly|^set_anomaly|^set_flush_denormal|^init_num_threads|num_interop_threads|"
        r"^has_(lapack|mkl|openmp|spectral)|^is_storage|^assert_int_or_pair|^linear_cross_entropy|"
        r"^LinearCrossEntropy|^GRID_SAMPLE|^PRIVATE|^common_types|^factory_kwargs|^grad$|"
        r"^Container$|^Uninitialized|^Lazy|^NLLLoss2d$|^CrossMapLRN2d$|^symeig$|^eig$|^lstsq$|"
        r"^solve$|^matrix_rank$|^lu$|^lu_solve$|^lu_unpack$|^orgqr$|^ormqr$|^geqrf$|"
        r"^deterministic_debug|^get_deterministic_debug_mode|^set_deterministic_debug_mode",
        "low-level or deprecated spellings of what glassnet has under its public name (e.g. "
        "torch.solve -> torch.linalg.solve, *_copy -> the op itself, F.*_with_indices -> "
        "return_indices=True), and lazy modules whose shapes glassnet wants written down",
    ),
    (
        r"torch",
        r"^(CompleteArgumentSpec|JITException|ModuleDict|ParameterDict|BufferDict)$",
        "TorchScript's C++ classes (torch.ParameterDict is a script module's view, not "
        "nn.ParameterDict): glassnet has no TorchScript; nn.ModuleDict/ParameterDict are there",
    ),
    (
        r"torch",
        r"^profiler_allow_cudagraph_cupti_lazy_reinit_cuda12$",
        "a switch of PyTorch's CUDA profiler (CUPTI); glassnet has no such profiler",
    ),
    (
        r"torch",
        r"^functional$",
        "the Python file torch/functional.py: its functions (einsum, meshgrid, stft, ...) are "
        "glassnet.* functions themselves",
    ),
    (
        r"torch",
        r"^bit$",
        "torch.bit is the 1-bit dtype uint1: NumPy has no sub-byte dtypes",
    ),
    (
        r"torch\.Tensor",
        r"^index$",
        "Tensor.index binds dims to functorch's first-class Dim objects; glassnet has no "
        "first-class dims",
    ),
]


def reason_left_out(namespace: str, name: str):
    """The documented reason torch's ``namespace.name`` is left out, or None."""
    for space, pattern, reason in DELIBERATE:
        if re.fullmatch(space, namespace) and re.search(pattern, name):
            return reason
    return None
