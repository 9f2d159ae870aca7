#ifndef MAILPREP_CARCHIVE_SHIM_H
#define MAILPREP_CARCHIVE_SHIM_H
#include <archive.h>
#include <archive_entry.h>
#endif
