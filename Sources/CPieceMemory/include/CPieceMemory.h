#ifndef MAILPREP_CPIECEMEMORY_H
#define MAILPREP_CPIECEMEMORY_H

#include <stddef.h>

/// Allocation functions for the byte buffers that carry pieces of shared files from disk to sockets, which
/// count the bytes alive: `mailprep serve` reads the next piece of a download only while that count is under
/// its budget, so the memory held for slow sockets (or a busy event loop) stays bounded. Thread-safe.
void *piece_memory_allocate(size_t size);
void *piece_memory_reallocate(void *pointer, size_t old_size, size_t new_size);
void piece_memory_free(void *_Nonnull pointer);
void piece_memory_copy(void *_Nonnull destination, const void *_Nonnull source, size_t count);

/// Bytes allocated through these functions and not yet freed.
size_t piece_memory_in_use(void);

#endif
