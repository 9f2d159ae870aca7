#ifndef MAILPREP_CZLIB_SHIM_H
#define MAILPREP_CZLIB_SHIM_H
#include <zlib.h>
#endif
