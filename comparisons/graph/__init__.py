"""comparisons.graph"""
