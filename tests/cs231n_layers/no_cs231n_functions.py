"""Not a CS231n layers.py: none of its functions are defined."""


def forward(x):
    return x, None
