// The Datasets module: fedtop's built-in data (wdbc, digits, the synthetic lesions), loaders for a
// user's own CSV, NPY and IDX files, standardisation, and partitioning into hospitals.
// It depends only on TensorCore, which it re-exports so that `Dataset.features` is usable directly.
@_exported import TensorCore
