"""Tabular data for ``glassnet train --data FILE.csv``: numeric columns imputed (median, with
missing-value indicators) and standardised, boolean ones imputed, categorical ones one-hot
encoded with rare categories grouped; ID columns left out; dates and free text refused with a
message naming the column. All of it fitted on the training split only (a ColumnTransformer,
saved as JSON in the run's config)."""

from __future__ import annotations

import numpy as np

from glassnet.data import preprocessing as gp
from glassnet.data.tables import DataFileError, infer_task, read_table

REFUSED = {
    "date": "holds dates; glassnet does not turn dates into features: convert it to numbers "
    "(say, days since the first date) or drop it, then train again",
    "text": "holds free text; train a text model on a file with only a text column and the "
    "label (glassnet train --data FILE --model text_lstm), or drop the column",
    "empty": "has no values at all (every row is missing): drop it and train again",
}


def _target(table, path, target):
    target = target or table.columns[-1]
    if target not in table:
        raise DataFileError(
            f"{path}: no column {target!r} to predict; the columns are "
            f"{', '.join(table.columns)} (give one with --target)",
            path=path,
            column=target,
        )
    return target


def _check_target(table, path, target, task):
    values = table[target]
    if table.kinds[target] == "empty":
        raise DataFileError(
            f"{path}: the target column {target!r} has no values at all", path=path, column=target
        )
    if task == "regression" and table.kinds[target] != "numeric":
        raise DataFileError(
            f"{path}: the target column {target!r} holds {table.kinds[target]} values, not "
            "numbers; regression needs numbers (use --task classification)",
            path=path,
            column=target,
        )
    if task == "classification":
        from glassnet.data.profile.analysis import _keys

        classes = {k for k in _keys(np.asarray(values, dtype=object)) if k is not None}
        if len(classes) < 2:
            shown = next(iter(classes)) if classes else None
            raise DataFileError(
                f"{path}: the target column {target!r} has one class only ({shown!r}): there is "
                "nothing to learn; a classifier needs examples of at least two classes",
                path=path,
                column=target,
            )


def inspect(path, target, task, kind):
    """The target and the task (inferred unless given) of a table file, checked."""
    table = read_table(path)
    target = _target(table, path, target)
    task = task or infer_task(table, target)
    _check_target(table, path, target, task)
    return {"target": target, "task": task}


def _features(table, path, target):
    features, dropped = [], []
    for c in table.columns:
        if c == target:
            continue
        kind = table.kinds[c]
        if kind in REFUSED:
            raise DataFileError(f"{path}: column {c!r} {REFUSED[kind]}", path=path, column=c)
        if kind == "id":
            dropped.append(c)
        else:
            features.append(c)
    if not features:
        raise DataFileError(f"{path}: no feature columns left besides the target {target!r}")
    return features, dropped


def _transformer(table, features, n_train, embed=False):
    numeric = [c for c in features if table.kinds[c] == "numeric"]
    boolean = [c for c in features if table.kinds[c] == "boolean"]
    categorical = [c for c in features if table.kinds[c] == "categorical"]
    steps = []
    if numeric:
        steps.append(
            (
                "numeric",
                gp.Pipeline(
                    [
                        ("impute", gp.SimpleImputer(strategy="median", add_indicator=True)),
                        ("scale", gp.StandardScaler()),
                    ]
                ),
                numeric,
            )
        )
    if boolean:
        steps.append(("boolean", gp.SimpleImputer(strategy="most_frequent"), boolean))
    if categorical and embed:
        # one integer code per column, for the model's embeddings
        steps.append(
            (
                "categorical",
                gp.Pipeline(
                    [
                        ("impute", gp.SimpleImputer(strategy="constant", fill_value="(missing)")),
                        ("codes", gp.OrdinalEncoder(min_frequency=max(2, int(0.01 * n_train)))),
                    ]
                ),
                categorical,
            )
        )
    elif categorical:
        steps.append(
            (
                "categorical",
                gp.Pipeline(
                    [
                        ("impute", gp.SimpleImputer(strategy="constant", fill_value="(missing)")),
                        (
                            "one_hot",
                            gp.OneHotEncoder(
                                handle_unknown="infrequent_if_exist",
                                min_frequency=max(2, int(0.01 * n_train)),
                            ),
                        ),
                    ]
                ),
                categorical,
            )
        )
    return gp.ColumnTransformer(steps)


def _targets(task, table, target, names=None):
    from glassnet.recipes.owndata import labels_for

    if task == "regression":
        return np.asarray(table[target], dtype=np.float64), None, None
    y, keys, shown = labels_for(task, table[target], table.labels.get(target))
    if names is not None:
        known = {k: i for i, k in enumerate(names)}
        unseen = sorted(set(keys) - set(known))
        if unseen:
            raise DataFileError(
                f"{table.source}: the target column {target!r} has classes {unseen[:5]} the "
                f"run was not trained on (it knows {names[:10]})",
                path=table.source,
                column=target,
            )
        y = np.array([known[keys[i]] for i in y], dtype=np.int64)
    return y, keys, shown


def fit(recipe, seed):
    """The splits, the fitted preprocessing and the data report of a table file."""
    from glassnet.data.profile import profile_table
    from glassnet.recipes.owndata import split_indices

    opts = recipe.dataset_options
    path = opts["path"]
    table = read_table(path)
    target = _target(table, path, opts.get("target"))
    _check_target(table, path, target, recipe.task)
    notes = []
    present = ~_missing(table[target])
    if not present.all():
        notes.append(f"{int((~present).sum())} rows without a target value were left out")
        table = table.take(np.flatnonzero(present))
    features, dropped = _features(table, path, target)
    notes += [f"column {c!r} looks like an ID: left out of the features" for c in dropped]
    y_all, keys, shown = _targets(recipe.task, table, target)
    labels = y_all if recipe.task == "classification" else None
    train, val, test = split_indices(table.n_rows, labels, seed, recipe.val_fraction)
    embed = recipe.model == "tabular_embed"
    ct = _transformer(table, features, len(train), embed)
    only = _only(table, features)
    x_train = ct.fit_transform(only.take(train))
    x_val = ct.transform(only.take(val))
    x_test = ct.transform(only.take(test))
    profile = profile_table(
        table.take(train), target=target, test=table.take(test), task=recipe.task
    )
    source = {
        "kind": "table",
        "target": target,
        "features": features,
        "kinds": {c: table.kinds[c] for c in features},
        "transformer": ct.state_dict(),
        "classes": keys,
    }
    if embed:
        codes = ct.named_transformers_.get("categorical")
        source["cardinalities"] = [] if codes is None else codes["codes"].cardinalities

    def write_extras(run_dir):
        from glassnet.data.profile.report import _table_pictures

        pictures = _table_pictures(table.take(train), profile, run_dir)
        return _report(path, profile, pictures, notes)

    parts = {
        "x_train": x_train.astype(np.float32),
        "y_train": y_all[train],
        "x_val": x_val.astype(np.float32),
        "y_val": y_all[val],
        "x_test": x_test.astype(np.float32),
        "y_test": y_all[test],
        "class_names": shown,
        "feature_names": features,
        "source": source,
        "report": _report(path, profile, [], notes),
        "write_extras": write_extras,
    }
    return parts


def _only(table, features):
    """The feature columns alone, in training order (positions match what was fitted)."""
    from glassnet.data.tables import Table

    out = Table(
        {c: table[c] for c in features}, {c: table.kinds[c] for c in features}, table.source
    )
    out.labels = {k: v for k, v in table.labels.items() if k in features}
    return out


def _report(path, profile, pictures, notes):
    from glassnet.data.profile.report import render_markdown

    text = render_markdown(path, profile, pictures, heading="####")
    text = text.replace("Data report:", "Data report (training split):", 1)
    if notes:
        text += "\n" + "\n".join(f"- {n}" for n in notes) + "\n"
    return text


def _missing(values):
    if values.dtype.kind == "f":
        return np.isnan(values)
    return np.array([v is None for v in values], dtype=bool)


def _read_like(source, path, need_target):
    kinds = dict(source["kinds"])
    target = source["target"]
    table = read_table(path, kinds={**kinds, target: None} if need_target else kinds)
    missing = [c for c in source["features"] if c not in table]
    if missing:
        raise DataFileError(
            f"{path}: no column {missing[0]!r}; the run was trained on columns "
            f"{', '.join(source['features'])}",
            path=path,
            column=missing[0],
        )
    if need_target and target not in table:
        raise DataFileError(
            f"{path}: no target column {target!r} to evaluate against", path=path, column=target
        )
    return table


def _transform(source, table):
    ct = gp.ColumnTransformer().load_state_dict(source["transformer"])
    return ct.transform(_only(table, source["features"])).astype(np.float32)


def labelled(source, path):
    table = _read_like(source, path, True)
    target = source["target"]
    if source.get("classes") is None:
        y = np.asarray(table[target], dtype=np.float64)
    else:
        y, _, _ = _targets("classification", table, target, source["classes"])
    return _transform(source, table), y


def inputs(source, path):
    return _transform(source, _read_like(source, path, False))
