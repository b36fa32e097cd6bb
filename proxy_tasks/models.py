"""Models as plain JAX functions: `init(key) -> params` and `apply(params, x) -> out`.

This module owns the architectures the tasks train: a multilayer perceptron, an
MLP over a character context window, and a tiny causal Transformer. Parameters are
a dict pytree; the training loop ravels them into the one flat vector that
optimizer programs see (so per-leaf ops such as `norm` act per weight matrix).
Models are built by name from keyword arguments, like data sets, so a task stays
a small picklable record.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import jax
import jax.numpy as jnp


class Model(NamedTuple):
    """A model: `init(key) -> params`, `apply(params, x) -> outputs`."""

    init: Callable
    apply: Callable


_ACTIVATIONS = {"relu": jax.nn.relu, "tanh": jnp.tanh, "gelu": jax.nn.gelu}


def _dense(key, fan_in: int, fan_out: int, gain: float = 1.0):
    w = jax.random.normal(key, (fan_in, fan_out), jnp.float32) * (gain / fan_in**0.5)
    return {"w": w, "b": jnp.zeros((fan_out,), jnp.float32)}


def mlp(sizes: tuple[int, ...], activation: str = "relu") -> Model:
    """A fully connected network with layer widths `sizes` (input first)."""
    act = _ACTIVATIONS[activation]
    gain = 2.0**0.5 if activation == "relu" else 1.0

    def init(key):
        keys = jax.random.split(key, len(sizes) - 1)
        return {
            f"layer{i}": _dense(k, a, b, gain if i < len(sizes) - 2 else 1.0)
            for i, (k, a, b) in enumerate(zip(keys, sizes[:-1], sizes[1:]))
        }

    def apply(params, x):
        num_layers = len(sizes) - 1
        for i in range(num_layers):
            layer = params[f"layer{i}"]
            x = x @ layer["w"] + layer["b"]
            if i < num_layers - 1:
                x = act(x)
        return x

    return Model(init, apply)


def char_mlp(vocab: int, context: int, embed: int = 16, hidden: int = 128) -> Model:
    """Embed each of `context` characters, concatenate, one hidden layer, logits."""
    head = mlp((context * embed, hidden, vocab), "relu")

    def init(key):
        k_embed, k_head = jax.random.split(key)
        return {
            "embed": jax.random.normal(k_embed, (vocab, embed), jnp.float32),
            "head": head.init(k_head),
        }

    def apply(params, x):
        e = params["embed"][x]  # [B, context, embed]
        return head.apply(params["head"], e.reshape(e.shape[0], -1))

    return Model(init, apply)


def _layer_norm(p, x):
    mean = jnp.mean(x, axis=-1, keepdims=True)
    var = jnp.mean(jnp.square(x - mean), axis=-1, keepdims=True)
    return (x - mean) * jax.lax.rsqrt(var + 1e-5) * p["scale"] + p["bias"]


def transformer(
    vocab: int, context: int, width: int = 32, layers: int = 1, heads: int = 2
) -> Model:
    """A pre-norm causal Transformer predicting the next token at every position."""

    def ln():
        return {
            "scale": jnp.ones((width,), jnp.float32),
            "bias": jnp.zeros((width,), jnp.float32),
        }

    def init(key):
        keys = jax.random.split(key, 3 + 4 * layers)
        params = {
            "embed": jax.random.normal(keys[0], (vocab, width), jnp.float32) * 0.5,
            "pos": jax.random.normal(keys[1], (context, width), jnp.float32) * 0.1,
            "ln_out": ln(),
            "out": _dense(keys[2], width, vocab),
        }
        for i in range(layers):
            k = keys[3 + 4 * i : 7 + 4 * i]
            params[f"block{i}"] = {
                "ln1": ln(),
                "qkv": _dense(k[0], width, 3 * width),
                "proj": _dense(k[1], width, width, 0.5),
                "ln2": ln(),
                "fc1": _dense(k[2], width, 4 * width, 2.0**0.5),
                "fc2": _dense(k[3], 4 * width, width, 0.5),
            }
        return params

    mask = jnp.tril(jnp.ones((context, context), bool))

    def attention(p, x):
        batch, seq, _ = x.shape
        qkv = x @ p["qkv"]["w"] + p["qkv"]["b"]
        q, k, v = jnp.split(
            qkv.reshape(batch, seq, 3 * heads, width // heads), 3, axis=2
        )
        scores = jnp.einsum("bqhd,bkhd->bhqk", q, k) / (width // heads) ** 0.5
        scores = jnp.where(mask[:seq, :seq], scores, -1e9)
        out = jnp.einsum("bhqk,bkhd->bqhd", jax.nn.softmax(scores, axis=-1), v)
        return out.reshape(batch, seq, width) @ p["proj"]["w"] + p["proj"]["b"]

    def apply(params, x):
        h = params["embed"][x] + params["pos"][: x.shape[1]]
        for i in range(layers):
            p = params[f"block{i}"]
            h = h + attention(p, _layer_norm(p["ln1"], h))
            u = jax.nn.gelu(_layer_norm(p["ln2"], h) @ p["fc1"]["w"] + p["fc1"]["b"])
            h = h + u @ p["fc2"]["w"] + p["fc2"]["b"]
        h = _layer_norm(params["ln_out"], h)
        return h @ params["out"]["w"] + params["out"]["b"]

    return Model(init, apply)


BUILDERS: dict[str, Callable[..., Model]] = {
    "mlp": mlp,
    "char_mlp": char_mlp,
    "transformer": transformer,
}


def build(name: str, args: tuple[tuple[str, object], ...] = ()) -> Model:
    """The model built by `name` with keyword `args`.

    Raises:
        KeyError: unknown model; the message lists the valid names.
    """
    if name not in BUILDERS:
        raise KeyError(f"unknown model {name!r}; valid: {', '.join(BUILDERS)}")
    return BUILDERS[name](**dict(args))
