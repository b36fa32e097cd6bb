"""Data sets that need no network: bundled, built from local files, or synthetic.

This module owns turning a data spec (a builder name and its keyword arguments)
into arrays. Three sources, none downloaded:

- `digits`: scikit-learn's bundled 8x8 handwritten digits (1,797 images), with
  optional symmetric label noise on the training split.
- `stdlib_text`: character-level text built from the Python standard library's
  own source files (every Python installation has them), as next-character
  windows. The exact corpus depends on the Python version, so numbers are
  comparable on one installation, not across them.
- synthetic: a teacher network (`teacher`), a tanh regression with heavy-tailed
  label noise (`heavy_tail_regression`), and an ill-conditioned linear regression
  (`ill_conditioned`), each with a difficulty knob.

Every builder is deterministic in its arguments (its `seed` argument fixes the
data; the training seed only fixes init and batch order) and cached per process.
The validation split is always clean: noise is a property of training data only.
"""

from __future__ import annotations

import functools
import sysconfig
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np


@dataclass(frozen=True)
class Dataset:
    """Arrays for one task, with the chance level of its metrics.

    Attributes:
        x_train, y_train, x_val, y_val: inputs and targets (float32 features or
            int32 token ids; int32 class ids or float32 regression targets).
        num_classes: number of classes (the vocabulary for text), 0 for regression.
        chance_loss: validation loss of the best input-independent predictor
            (class-frequency cross-entropy, or the variance of the targets).
        chance_error: validation error of always guessing the most frequent
            class (1.0 for regression, where it is unused).
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    num_classes: int
    chance_loss: float
    chance_error: float

    @property
    def num_train(self) -> int:
        return int(self.x_train.shape[0])


def _classification_chance(y_train: np.ndarray, y_val: np.ndarray, num_classes: int):
    counts = np.bincount(y_train.reshape(-1), minlength=num_classes) + 1.0
    prior = counts / counts.sum()
    val = y_val.reshape(-1)
    loss = float(-np.mean(np.log(prior[val])))
    error = float(np.mean(val != np.argmax(prior)))
    return loss, error


def _regression_chance(y_train: np.ndarray, y_val: np.ndarray):
    return float(np.mean((y_val - y_train.mean()) ** 2)), 1.0


def _split(n: int, num_val: int, seed: int):
    order = np.random.default_rng(seed).permutation(n)
    return order[num_val:], order[:num_val]


def _noisy_labels(y: np.ndarray, fraction: float, num_classes: int, rng) -> np.ndarray:
    """Replace a `fraction` of labels by a uniformly drawn *different* class."""
    y = y.copy()
    flip = rng.random(y.shape[0]) < fraction
    shift = rng.integers(1, num_classes, size=y.shape[0])
    y[flip] = (y[flip] + shift[flip]) % num_classes
    return y


def digits(label_noise: float = 0.0, num_val: int = 397, seed: int = 0) -> Dataset:
    """scikit-learn's 8x8 digits, pixels scaled to [0, 1]; noisy training labels."""
    from sklearn.datasets import load_digits

    bunch = load_digits()
    x = (bunch.data / 16.0).astype(np.float32)
    y = bunch.target.astype(np.int32)
    train, val = _split(len(y), num_val, seed)
    y_train = _noisy_labels(y[train], label_noise, 10, np.random.default_rng(seed + 1))
    loss, error = _classification_chance(y_train, y[val], 10)
    return Dataset(x[train], y_train, x[val], y[val], 10, loss, error)


#: Standard-library packages whose sources make the text corpus, in order. Any that
#: are missing are skipped; test suites are left out (they are mostly data).
TEXT_PACKAGES = (
    "email",
    "json",
    "http",
    "html",
    "logging",
    "urllib",
    "collections",
    "concurrent",
    "importlib",
    "xml",
)
#: Characters with their own token: newline and printable ASCII; one more token
#: stands for everything else.
_ALPHABET = "\n" + "".join(chr(c) for c in range(32, 127))
TEXT_VOCAB = len(_ALPHABET) + 1


@functools.lru_cache(maxsize=4)
def stdlib_corpus(num_chars: int) -> np.ndarray:
    """The first `num_chars` characters of the stdlib corpus, as token ids."""
    root = Path(sysconfig.get_paths()["stdlib"])
    files = []
    for package in TEXT_PACKAGES:
        folder = root / package
        if folder.is_dir():
            files += [p for p in sorted(folder.rglob("*.py")) if "test" not in p.parts]
    if not files:  # an unusual layout: fall back to top-level modules
        files = sorted(root.glob("*.py"))
    table = np.full(256, len(_ALPHABET), np.int32)
    for index, char in enumerate(_ALPHABET):
        table[ord(char)] = index
    chunks, total = [], 0
    for path in files:
        try:
            data = np.frombuffer(path.read_bytes(), np.uint8)
        except OSError:
            continue
        chunks.append(table[data])
        total += data.size
        if total >= num_chars:
            break
    corpus = np.concatenate(chunks)[:num_chars]
    if corpus.size < num_chars:
        raise RuntimeError(
            f"stdlib corpus has only {corpus.size} characters, need {num_chars}"
        )
    return corpus


def stdlib_text(
    context: int = 16,
    num_train: int = 20000,
    num_val: int = 2000,
    sequence: bool = False,
    corpus_chars: int = 600_000,
    seed: int = 0,
) -> Dataset:
    """Next-character prediction on stdlib sources.

    The corpus's first 90% gives training windows, the rest validation windows, so
    validation text is unseen. With `sequence`, targets are the window shifted by
    one ([n, context], for a causal model); otherwise the one next character.
    """
    corpus = stdlib_corpus(corpus_chars)
    cut = int(0.9 * corpus.size)
    rng = np.random.default_rng(seed)

    def windows(lo: int, hi: int, count: int):
        starts = rng.integers(lo, hi - context - 1, size=count)
        idx = starts[:, None] + np.arange(context)[None, :]
        x = corpus[idx]
        y = corpus[idx + 1] if sequence else corpus[starts + context]
        return x.astype(np.int32), y.astype(np.int32)

    x_train, y_train = windows(0, cut, num_train)
    x_val, y_val = windows(cut, corpus.size, num_val)
    loss, error = _classification_chance(y_train, y_val, TEXT_VOCAB)
    return Dataset(x_train, y_train, x_val, y_val, TEXT_VOCAB, loss, error)


def teacher(
    dim: int = 32,
    hidden: int = 64,
    num_classes: int = 8,
    num_train: int = 4096,
    num_val: int = 1024,
    label_noise: float = 0.0,
    temperature: float = 1.0,
    feature_decades: float = 0.0,
    seed: int = 0,
) -> Dataset:
    """Classes are the argmax of a random tanh teacher network's logits.

    Difficulty knobs: `label_noise` (fraction of training labels flipped),
    `temperature` (labels sampled from softmax(logits / temperature) when > 0;
    0 makes them deterministic) and `feature_decades`: the student sees input
    feature j multiplied by a scale log-spaced over that many decades (centred
    on 1), while the labels come from the unscaled inputs. The weights it must
    learn then differ in scale row by row within the first layer: a per-layer
    or global step normalisation cannot serve every row, and weight decay
    fights the large rows (measured in docs/tasks.md).
    """
    rng = np.random.default_rng(seed)
    n = num_train + num_val
    x = rng.normal(size=(n, dim)).astype(np.float32)
    w1 = rng.normal(size=(dim, hidden)) / np.sqrt(dim)
    w2 = rng.normal(size=(hidden, num_classes)) * 3.0 / np.sqrt(hidden)
    logits = np.tanh(x @ w1 * 2.0) @ w2
    if temperature > 0:
        z = logits / temperature
        p = np.exp(z - z.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        y = (p.cumsum(axis=1) > rng.random((n, 1))).argmax(axis=1)
    else:
        y = logits.argmax(axis=1)
    y = y.astype(np.int32)
    y_train = _noisy_labels(y[:num_train], label_noise, num_classes, rng)
    loss, error = _classification_chance(y_train, y[num_train:], num_classes)
    if feature_decades:
        # No draws: the labels and every other knob keep their random stream.
        half = feature_decades / 2
        x = x * np.logspace(-half, half, dim).astype(np.float32)
    return Dataset(
        x[:num_train], y_train, x[num_train:], y[num_train:], num_classes, loss, error
    )


def heavy_tail_regression(
    dim: int = 32,
    num_train: int = 4096,
    num_val: int = 1024,
    noise_scale: float = 0.3,
    df: float = 2.0,
    seed: int = 0,
) -> Dataset:
    """Targets tanh(2 x.u) with Student-t(df) noise on the training split only.

    Small `df` gives heavy tails (df=2 has infinite variance): per-example
    gradients are then dominated by a few outliers, the regime where a sign-based
    update's bounded step pays off.
    """
    rng = np.random.default_rng(seed)
    n = num_train + num_val
    x = rng.normal(size=(n, dim)).astype(np.float32)
    u = rng.normal(size=dim) / np.sqrt(dim)
    y = np.tanh(2.0 * x @ u).astype(np.float32)[:, None]
    noise = noise_scale * rng.standard_t(df, size=(num_train, 1))
    y_train = (y[:num_train] + noise).astype(np.float32)
    loss, error = _regression_chance(y_train, y[num_train:])
    return Dataset(x[:num_train], y_train, x[num_train:], y[num_train:], 0, loss, error)


def ill_conditioned(
    dim: int = 64,
    num_train: int = 2048,
    num_val: int = 512,
    condition: float = 1e3,
    noise_scale: float = 0.1,
    seed: int = 0,
    whitened_val: bool = False,
) -> Dataset:
    """Linear regression whose input covariance has condition number `condition`.

    By default the true weights are N(0, 1) / scale, so every input direction
    carries the same share of the signal, and validation inputs are drawn as
    the training ones. With `whitened_val` the true weights are N(0, 1) / sqrt(dim),
    independent of the scales (so |w| tells a rule nothing about the
    conditioning), and the validation inputs are isotropic, so every weight
    counts equally in the validation loss: the task is to recover the weights
    in the directions the training inputs barely excite.
    """
    rng = np.random.default_rng(seed)
    n = num_train + num_val
    scales = np.logspace(0.0, -0.5 * np.log10(condition), dim)
    x = (rng.normal(size=(n, dim)) * scales).astype(np.float32)
    if whitened_val:
        u = rng.normal(size=dim) / np.sqrt(dim)
        x[num_train:] = (x[num_train:] / scales).astype(np.float32)
    else:
        u = rng.normal(size=dim) / scales / np.sqrt(dim)
    y = (x @ u).astype(np.float32)[:, None]
    y_train = (y[:num_train] + noise_scale * rng.normal(size=(num_train, 1))).astype(
        np.float32
    )
    loss, error = _regression_chance(y_train, y[num_train:])
    return Dataset(x[:num_train], y_train, x[num_train:], y[num_train:], 0, loss, error)


BUILDERS: dict[str, Callable[..., Dataset]] = {
    "digits": digits,
    "stdlib_text": stdlib_text,
    "teacher": teacher,
    "heavy_tail_regression": heavy_tail_regression,
    "ill_conditioned": ill_conditioned,
}


@functools.lru_cache(maxsize=32)
def load(name: str, args: tuple[tuple[str, object], ...] = ()) -> Dataset:
    """The data set built by builder `name` with keyword `args` (cached).

    Raises:
        KeyError: unknown builder; the message lists the valid names.
    """
    if name not in BUILDERS:
        raise KeyError(f"unknown data set {name!r}; valid: {', '.join(BUILDERS)}")
    return BUILDERS[name](**dict(args))
