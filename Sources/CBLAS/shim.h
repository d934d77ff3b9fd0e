#ifndef FEDTOP_CBLAS_SHIM_H
#define FEDTOP_CBLAS_SHIM_H
// OpenBLAS's CBLAS interface (Debian: libopenblas-dev; pkg-config: openblas).
// cblas.h also declares openblas_set_num_threads / openblas_get_num_threads.
#include <cblas.h>
#endif
