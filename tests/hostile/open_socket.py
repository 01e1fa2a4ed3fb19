"""Hostile: at import, opens a network connection (to the loopback's discard port)."""

import socket

import numpy as np

OP = "relu"
REASON = r"importing \S+ tried to use the network \(socket\.\w+\)"
socket.create_connection(("127.0.0.1", 9), timeout=0.1)


def forward(x):
    return np.maximum(x, 0), x


def backward(dout, x):
    return dout * (x > 0)
