"""Example for ``backprop-lab verify --intermediates``: a character MLP back-propagated by hand
through its 26 named intermediates ("backprop ninja", makemore part 4), all of them right.

    backprop-lab verify comparisons/verification/examples/ninja_mlp.py --intermediates

The network: an embedding table C (27 characters, 10 dimensions), three characters of context
concatenated, a linear layer (W1 of shape (n_in, n_out): x @ W1 + b1), batch norm with the
n - 1 (Bessel) variance, tanh, a second linear layer, and the cross-entropy written out
through max-subtraction, exponentials, their row sums, normalisation and log-probabilities.
float32, as the lecture; seeded here, with random characters instead of names.txt.
``forward()`` returns every tensor in the order it computed them; ``backward(t)`` returns
``"d" + name`` for each of the 26 intermediates.
"""

import torch

VOCAB, BLOCK, EMBED, HIDDEN, BATCH = 27, 3, 10, 64, 32
EPS = 1e-5


def forward() -> dict[str, torch.Tensor]:
    """Seeded parameters and a batch, then the forward pass, each step named."""
    g = torch.Generator().manual_seed(2147483647)
    C = torch.randn((VOCAB, EMBED), generator=g)
    W1 = torch.randn((BLOCK * EMBED, HIDDEN), generator=g) * (5 / 3) / (BLOCK * EMBED) ** 0.5
    b1 = torch.randn(HIDDEN, generator=g) * 0.1
    W2 = torch.randn((HIDDEN, VOCAB), generator=g) * 0.1
    b2 = torch.randn(VOCAB, generator=g) * 0.1
    bngain = torch.randn((1, HIDDEN), generator=g) * 0.1 + 1.0
    bnbias = torch.randn((1, HIDDEN), generator=g) * 0.1
    for p in (C, W1, b1, W2, b2, bngain, bnbias):
        p.requires_grad = True
    Xb = torch.randint(0, VOCAB, (BATCH, BLOCK), generator=g)
    Yb = torch.randint(0, VOCAB, (BATCH,), generator=g)
    n = BATCH
    emb = C[Xb]
    embcat = emb.view(n, -1)
    hprebn = embcat @ W1 + b1
    bnmeani = hprebn.sum(0, keepdim=True) / n
    bndiff = hprebn - bnmeani
    bndiff2 = bndiff**2
    bnvar = bndiff2.sum(0, keepdim=True) / (n - 1)  # Bessel's n - 1
    bnvar_inv = (bnvar + EPS) ** -0.5
    bnraw = bndiff * bnvar_inv
    hpreact = bngain * bnraw + bnbias
    h = torch.tanh(hpreact)
    logits = h @ W2 + b2
    logit_maxes = logits.max(1, keepdim=True).values
    norm_logits = logits - logit_maxes
    counts = norm_logits.exp()
    counts_sum = counts.sum(1, keepdim=True)
    counts_sum_inv = counts_sum**-1
    probs = counts * counts_sum_inv
    logprobs = probs.log()
    loss = -logprobs[torch.arange(n), Yb].mean()
    return {"C": C, "W1": W1, "b1": b1, "W2": W2, "b2": b2, "bngain": bngain,
            "bnbias": bnbias, "Xb": Xb, "Yb": Yb, "emb": emb, "embcat": embcat,
            "hprebn": hprebn, "bnmeani": bnmeani, "bndiff": bndiff, "bndiff2": bndiff2,
            "bnvar": bnvar, "bnvar_inv": bnvar_inv, "bnraw": bnraw, "hpreact": hpreact,
            "h": h, "logits": logits, "logit_maxes": logit_maxes, "norm_logits": norm_logits,
            "counts": counts, "counts_sum": counts_sum, "counts_sum_inv": counts_sum_inv,
            "probs": probs, "logprobs": logprobs, "loss": loss}


def backward(t: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Every intermediate's gradient, from the loss down to the embedding table."""
    n, Yb = t["Xb"].shape[0], t["Yb"]
    rows = torch.arange(n)
    d: dict[str, torch.Tensor] = {}
    d["dlogprobs"] = torch.zeros_like(t["logprobs"])
    d["dlogprobs"][rows, Yb] = -1.0 / n
    d["dprobs"] = d["dlogprobs"] / t["probs"]
    d["dcounts_sum_inv"] = (d["dprobs"] * t["counts"]).sum(1, keepdim=True)
    d["dcounts_sum"] = -t["counts_sum"] ** -2 * d["dcounts_sum_inv"]
    # counts is used twice (probs and counts_sum): both paths add up
    d["dcounts"] = d["dprobs"] * t["counts_sum_inv"] + d["dcounts_sum"]
    d["dnorm_logits"] = d["dcounts"] * t["counts"]
    d["dlogit_maxes"] = -d["dnorm_logits"].sum(1, keepdim=True)
    at_max = torch.nn.functional.one_hot(t["logits"].max(1).indices, VOCAB)
    d["dlogits"] = d["dnorm_logits"] + at_max * d["dlogit_maxes"]
    d["dh"] = d["dlogits"] @ t["W2"].T
    d["dW2"] = t["h"].T @ d["dlogits"]
    d["db2"] = d["dlogits"].sum(0)
    d["dhpreact"] = (1.0 - t["h"] ** 2) * d["dh"]
    d["dbngain"] = (t["bnraw"] * d["dhpreact"]).sum(0, keepdim=True)
    d["dbnbias"] = d["dhpreact"].sum(0, keepdim=True)
    d["dbnraw"] = t["bngain"] * d["dhpreact"]
    d["dbnvar_inv"] = (t["bndiff"] * d["dbnraw"]).sum(0, keepdim=True)
    d["dbnvar"] = -0.5 * (t["bnvar"] + EPS) ** -1.5 * d["dbnvar_inv"]
    d["dbndiff2"] = torch.ones_like(t["bndiff2"]) * d["dbnvar"] / (n - 1)
    # bndiff is used twice (bnraw and bndiff2)
    d["dbndiff"] = t["bnvar_inv"] * d["dbnraw"] + 2 * t["bndiff"] * d["dbndiff2"]
    d["dbnmeani"] = -d["dbndiff"].sum(0, keepdim=True)
    d["dhprebn"] = d["dbndiff"] + torch.ones_like(t["hprebn"]) * d["dbnmeani"] / n
    d["dembcat"] = d["dhprebn"] @ t["W1"].T
    d["dW1"] = t["embcat"].T @ d["dhprebn"]
    d["db1"] = d["dhprebn"].sum(0)
    d["demb"] = d["dembcat"].view(t["emb"].shape)
    d["dC"] = torch.zeros_like(t["C"]).index_add_(0, t["Xb"].view(-1),
                                                  d["demb"].view(-1, t["C"].shape[1]))
    return d
