"""Image transforms: deterministic ones against PyTorch or hand-computed results, random ones
for their properties and for repeating under glassnet.manual_seed."""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import glassnet
from glassnet.data import transforms as T
from glassnet.errors import DTypeError, ShapeError


def _image(shape=(3, 7, 9), dtype=np.float32, seed=0):
    return np.random.default_rng(seed).random(shape).astype(dtype)


def _same_seed(transform, x, seed=3):
    glassnet.manual_seed(seed)
    a = transform(x)
    glassnet.manual_seed(seed)
    return a, transform(x)


# ---- ToTensor and Normalize ------------------------------------------------------------------
def test_to_tensor_uint8_hwc_matches_torch():
    x = np.random.default_rng(0).integers(0, 256, size=(5, 6, 3), dtype=np.uint8)
    out = T.ToTensor()(x)
    expected = torch.from_numpy(x).permute(2, 0, 1).float().div(255).numpy()
    assert isinstance(out, glassnet.Tensor) and out.dtype == glassnet.float32
    np.testing.assert_array_equal(out.numpy(), expected)
    assert out.numpy().flags.c_contiguous


def test_to_tensor_grey_float_bool_and_pil():
    from PIL import Image

    grey = np.random.default_rng(1).integers(0, 256, size=(4, 5), dtype=np.uint8)
    np.testing.assert_array_equal(T.ToTensor()(grey).numpy(), grey[None] / np.float32(255))
    rgb = np.random.default_rng(2).integers(0, 256, size=(4, 5, 3), dtype=np.uint8)
    np.testing.assert_array_equal(
        T.ToTensor()(Image.fromarray(rgb)).numpy(), T.ToTensor()(rgb).numpy()
    )
    f = np.random.default_rng(3).random((4, 5, 2))
    out = T.ToTensor()(f)
    assert out.dtype == glassnet.float32
    np.testing.assert_array_equal(out.numpy(), f.transpose(2, 0, 1).astype(np.float32))
    assert T.ToTensor()(np.array([[True, False]])).tolist() == [[[1.0, 0.0]]]
    with pytest.raises(TypeError, match="already"):
        T.ToTensor()(glassnet.ones(1, 2, 2))
    with pytest.raises(ShapeError):
        T.ToTensor()(np.zeros(3))


@pytest.mark.parametrize("shape", [(3, 4, 5), (2, 3, 4, 5)])
def test_normalize_matches_torch(shape, device):
    x = _image(shape)
    mean, std = [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]
    expected = (
        (torch.from_numpy(x) - torch.tensor(mean)[:, None, None]) / torch.tensor(std)[:, None, None]
    ).numpy()
    out = T.Normalize(mean, std)(glassnet.tensor(x, device=device))
    assert out.device == device and out.dtype == glassnet.float32
    np.testing.assert_allclose(out.cpu().numpy(), expected, rtol=1e-6, atol=1e-6)
    y = x.copy()
    assert T.Normalize(mean, std, inplace=True)(y) is y
    np.testing.assert_allclose(y, expected, rtol=1e-6, atol=1e-6)


def test_normalize_errors():
    with pytest.raises(ShapeError, match="3 channels"):
        T.Normalize([0.5, 0.5], [0.5, 0.5])(_image())
    with pytest.raises(ValueError, match="divide by zero"):
        T.Normalize([0.5], [0.0])
    with pytest.raises(DTypeError, match="ToTensor"):
        T.Normalize([0.5], [0.5])(np.zeros((1, 2, 2), dtype=np.uint8))
    with pytest.raises(ShapeError, match="ToTensor"):
        T.Normalize([0.5], [0.5])(np.zeros((2, 2), dtype=np.float32))


# ---- flips -------------------------------------------------------------------------------------
def test_flips_with_p_one_and_zero(device):
    x = _image((2, 3, 4, 5))
    h = T.RandomHorizontalFlip(p=1.0)(glassnet.tensor(x, device=device))
    assert h.device == device
    np.testing.assert_array_equal(h.cpu().numpy(), x[..., ::-1])
    np.testing.assert_array_equal(T.RandomVerticalFlip(p=1.0)(x), x[..., ::-1, :])
    np.testing.assert_array_equal(T.RandomHorizontalFlip(p=0.0)(x), x)
    np.testing.assert_array_equal(T.RandomVerticalFlip(p=0.0)(x), x)


def test_flip_probability_and_seed():
    x = np.arange(6.0).reshape(1, 2, 3)
    flip = T.RandomHorizontalFlip(p=0.3)
    glassnet.manual_seed(0)
    flipped = [bool(flip(x)[0, 0, 0] == 2.0) for _ in range(1000)]
    assert 230 < sum(flipped) < 370  # Binomial(1000, 0.3): mean 300, sd 14.5
    glassnet.manual_seed(0)
    assert flipped == [bool(flip(x)[0, 0, 0] == 2.0) for _ in range(1000)]
    with pytest.raises(ValueError, match="probability"):
        T.RandomVerticalFlip(p=1.5)


# ---- resize ------------------------------------------------------------------------------------
@pytest.mark.parametrize("size", [(14, 18), (3, 4), (7, 9), (5, 13), (1, 1), (20, 6)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_resize_bilinear_matches_torch(size, dtype):
    x = _image((2, 3, 7, 9), dtype)
    expected = TF.interpolate(
        torch.from_numpy(x), size=size, mode="bilinear", align_corners=False, antialias=False
    ).numpy()
    out = T.Resize(size)(x)
    assert out.dtype == dtype
    tol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(out, expected, rtol=tol, atol=tol)


@pytest.mark.parametrize("size", [(14, 18), (3, 4), (5, 13)])
def test_resize_nearest_matches_torch(size, device):
    x = _image((3, 7, 9))
    expected = TF.interpolate(torch.from_numpy(x)[None], size=size, mode="nearest")[0].numpy()
    out = T.Resize(size, interpolation="nearest")(glassnet.tensor(x, device=device))
    assert out.device == device
    np.testing.assert_array_equal(out.cpu().numpy(), expected)


def test_resize_int_matches_shorter_edge_and_uint8_rounds():
    assert T.Resize(4)(np.zeros((1, 8, 12), np.float32)).shape == (1, 4, 6)
    assert T.Resize([5])(np.zeros((1, 20, 10), np.float32)).shape == (1, 10, 5)
    x = np.random.default_rng(0).integers(0, 256, size=(3, 5, 6), dtype=np.uint8)
    out = T.Resize((8, 3))(x)
    expected = T.Resize((8, 3))(x.astype(np.float32))
    assert out.dtype == np.uint8
    np.testing.assert_array_equal(out, np.rint(expected).astype(np.uint8))
    with pytest.raises(NotImplementedError, match="antialias"):
        T.Resize(4, antialias=True)


# ---- crops -------------------------------------------------------------------------------------
def test_random_crop_with_padding_is_a_window_of_the_padded_image():
    x = _image((3, 6, 6))
    padded = np.pad(x, ((0, 0), (2, 2), (2, 2)), constant_values=0.5)
    crop = T.RandomCrop(6, padding=2, fill=0.5)
    seen = set()
    glassnet.manual_seed(0)
    for _ in range(300):
        out = crop(x)
        assert out.shape == (3, 6, 6)
        where = [
            (i, j)
            for i in range(5)
            for j in range(5)
            if np.array_equal(padded[:, i : i + 6, j : j + 6], out)
        ]
        assert where
        seen.add(where[0])
    assert len(seen) == 25, "every window position can come up"


def test_random_crop_padding_forms_pad_if_needed_and_errors():
    x = _image((1, 4, 5))
    out = T.RandomCrop((6, 9), padding=(2, 1))(x)  # left/right 2, top/bottom 1 -> (6, 9)
    np.testing.assert_array_equal(out[:, 1:5, 2:7], x)
    out = T.RandomCrop((4 + 3, 5 + 2), padding=(1, 1, 1, 2), padding_mode="edge")(x)
    np.testing.assert_array_equal(out, np.pad(x, ((0, 0), (1, 2), (1, 1)), mode="edge"))
    out = T.RandomCrop((6, 5), pad_if_needed=True)(x)
    assert out.shape == (1, 6, 5)
    with pytest.raises(ValueError, match="larger than the image"):
        T.RandomCrop(5)(x)
    with pytest.raises(ValueError, match="padding_mode"):
        T.RandomCrop(2, padding_mode="wrap")


def test_random_crop_repeats_and_keeps_tensors(device):
    x = glassnet.tensor(_image((2, 3, 10, 10)), device=device)
    a, b = _same_seed(T.RandomCrop(4), x)
    assert a.device == device and tuple(a.shape) == (2, 3, 4, 4)
    np.testing.assert_array_equal(a.cpu().numpy(), b.cpu().numpy())


def test_center_crop():
    x = np.arange(30).reshape(1, 5, 6)
    np.testing.assert_array_equal(T.CenterCrop((3, 2))(x), x[:, 1:4, 2:4])
    np.testing.assert_array_equal(T.CenterCrop(4)(x), x[:, 0:4, 1:5])  # round(0.5) = 0


def test_random_resized_crop_shapes_and_window_statistics():
    crop = T.RandomResizedCrop((5, 7), scale=(0.2, 0.6), ratio=(0.5, 2.0))
    assert crop(_image((3, 30, 40))).shape == (3, 5, 7)
    glassnet.manual_seed(0)
    for _ in range(200):
        top, left, h, w = crop.get_params(30, 40)
        assert 0 <= top and top + h <= 30 and 0 <= left and left + w <= 40
        # rounding h and w moves the area and ratio a little off the drawn values
        assert 0.2 * 0.85 <= h * w / 1200 <= 0.6 * 1.15
        assert 0.5 * 0.85 <= w / h <= 2.0 * 1.15


def test_random_resized_crop_of_the_whole_image_is_resize():
    x = _image((3, 8, 12))
    crop = T.RandomResizedCrop((5, 5), scale=(1.0, 1.0), ratio=(1.5, 1.5))
    np.testing.assert_allclose(crop(x), T.Resize((5, 5))(x), rtol=1e-6, atol=1e-7)
    # no window fits the requested ratio: the fallback is a central crop with the ratio clamped
    tall = T.RandomResizedCrop(4, scale=(1.0, 1.0), ratio=(2.0, 3.0))
    assert tall.get_params(8, 4) == (3, 0, 2, 4)
    a, b = _same_seed(T.RandomResizedCrop(6), x)
    np.testing.assert_array_equal(a, b)


# ---- rotation ----------------------------------------------------------------------------------
@pytest.mark.parametrize("angle,k", [(90, 1), (180, 2), (270, 3), (-90, 3), (360, 0)])
def test_rotation_by_right_angles_is_rot90(angle, k, device):
    x = _image((2, 3, 6, 6))
    rotation = T.RandomRotation((angle, angle))
    out = rotation(glassnet.tensor(x, device=device))
    assert out.device == device
    np.testing.assert_array_equal(out.cpu().numpy(), np.rot90(x, k, axes=(-2, -1)))


def test_rotation_by_180_flips_any_shape_and_0_is_identity():
    x = _image((3, 5, 8))
    np.testing.assert_array_equal(T.rotate(x, 180), x[..., ::-1, ::-1])
    np.testing.assert_allclose(T.rotate(x, 0, "bilinear"), x, rtol=0, atol=1e-7)


@pytest.mark.parametrize("angle", [30.0, -17.5, 135.0])
def test_bilinear_rotation_matches_torch_grid_sample(angle):
    x = _image((1, 3, 9, 9), np.float64)
    t = math.radians(angle)
    # output pixel -> source point, in grid_sample's normalised coordinates (y points down)
    theta = torch.tensor(
        [[[math.cos(t), -math.sin(t), 0.0], [math.sin(t), math.cos(t), 0.0]]], dtype=torch.float64
    )
    grid = TF.affine_grid(theta, (1, 3, 9, 9), align_corners=False)
    expected = TF.grid_sample(
        torch.from_numpy(x), grid, mode="bilinear", padding_mode="zeros", align_corners=False
    ).numpy()
    np.testing.assert_allclose(T.rotate(x, angle, "bilinear"), expected, rtol=1e-10, atol=1e-10)


def test_rotation_fill_and_random_angles():
    ones = np.ones((2, 9, 9), dtype=np.float32)
    out = T.RandomRotation((45, 45), fill=(0.25, 0.75))(ones)
    assert out[0, 0, 0] == 0.25 and out[1, 0, 0] == 0.75 and out[0, 4, 4] == 1.0
    assert out.dtype == np.float32
    x = _image((1, 8, 8))
    rotation = T.RandomRotation(30, interpolation="bilinear")
    a, b = _same_seed(rotation, x)
    np.testing.assert_array_equal(a, b)
    glassnet.manual_seed(3)  # the angle is one uniform draw from glassnet's generator
    angle = glassnet.random.rng().uniform(-30, 30)
    np.testing.assert_array_equal(a, T.rotate(x, angle, "bilinear"))
    with pytest.raises(ValueError, match="non-negative"):
        T.RandomRotation(-5)


# ---- colour and noise --------------------------------------------------------------------------
def test_color_adjustments_by_hand():
    x = _image((3, 4, 5))
    np.testing.assert_allclose(T.adjust_brightness(x, 1.7), np.clip(x * 1.7, 0, 1), rtol=1e-6)
    gray = 0.299 * x[0] + 0.587 * x[1] + 0.114 * x[2]
    np.testing.assert_allclose(
        T.adjust_contrast(x, 0.6), np.clip(0.6 * x + 0.4 * gray.mean(), 0, 1), rtol=1e-5
    )
    np.testing.assert_allclose(
        T.adjust_saturation(x, 1.4), np.clip(1.4 * x - 0.4 * gray, 0, 1), rtol=1e-5, atol=1e-6
    )
    batch = np.stack([x, x[::-1]])
    np.testing.assert_allclose(
        T.adjust_contrast(batch, 0.6)[1], T.adjust_contrast(x[::-1], 0.6), rtol=1e-6
    )
    u8 = (x * 255).astype(np.uint8)
    np.testing.assert_array_equal(
        T.adjust_brightness(u8, 1.5), np.rint(np.clip(u8 * 1.5, 0, 255)).astype(np.uint8)
    )


def test_color_jitter_factor_ranges_and_seed(device):
    jitter = T.ColorJitter(brightness=0.4, contrast=(0.5, 0.9), saturation=0.2)
    assert jitter.brightness == (0.6, 1.4) and jitter.saturation == (0.8, 1.2)
    assert T.ColorJitter(brightness=2.0).brightness == (0.0, 3.0)
    glassnet.manual_seed(0)
    for _ in range(200):
        order, (b, c, s) = jitter.get_params()
        assert sorted(order) == [0, 1, 2]
        assert 0.6 <= b <= 1.4 and 0.5 <= c <= 0.9 and 0.8 <= s <= 1.2
    x = glassnet.tensor(_image(), device=device)
    a, b = _same_seed(jitter, x)
    assert a.device == device
    np.testing.assert_array_equal(a.cpu().numpy(), b.cpu().numpy())
    assert T.ColorJitter().get_params()[1] == [None, None, None]
    np.testing.assert_array_equal(T.ColorJitter()(_image()), _image())
    np.testing.assert_allclose(
        T.ColorJitter(brightness=(2, 2))(_image()), np.clip(_image() * 2, 0, 1)
    )
    with pytest.raises(ShapeError, match="1 or 3 channels"):
        T.ColorJitter(contrast=0.5)(_image((2, 3, 3)))


def test_gaussian_noise_statistics_and_seed(device):
    x = glassnet.zeros(1, 200, 200, device=device)
    out = T.GaussianNoise(mean=0.5, std=0.2)(x)
    assert out.device == device and out.dtype == glassnet.float32
    values = out.cpu().numpy()
    assert abs(values.mean() - 0.5) < 0.005 and abs(values.std() - 0.2) < 0.005
    a, b = _same_seed(T.GaussianNoise(), x)
    np.testing.assert_array_equal(a.cpu().numpy(), b.cpu().numpy())
    clipped = T.GaussianNoise(std=1.0, clip=True)(x).cpu().numpy()
    assert clipped.min() == 0.0 and clipped.max() <= 1.0
    np.testing.assert_array_equal(T.GaussianNoise(std=0.0)(_image()), _image())
    with pytest.raises(DTypeError):
        T.GaussianNoise()(np.zeros((1, 2, 2), dtype=np.uint8))


def test_compose_applies_in_order_and_prints():
    pipeline = T.Compose([T.ToTensor(), T.RandomHorizontalFlip(p=1.0), T.Normalize([0.5], [0.5])])
    x = np.arange(6, dtype=np.uint8).reshape(2, 3)
    expected = (x[None, :, ::-1] / np.float32(255) - np.float32(0.5)) / np.float32(0.5)
    np.testing.assert_allclose(pipeline(x).numpy(), expected, rtol=1e-6)
    assert repr(pipeline).splitlines()[1].strip() == "ToTensor(),"
