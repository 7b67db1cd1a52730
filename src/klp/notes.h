/* SPDX-License-Identifier: MIT */
/*
 * ELF notes: the GNU build-id in a buffer of notes.  libc-only, shared by
 * the controller (files and process memory) and the runtime (a library as
 * the dynamic loader mapped it, and its file).
 */
#ifndef UKLP_KLP_NOTES_H
#define UKLP_KLP_NOTES_H

#include <stddef.h>
#include <stdint.h>

/* notes: size bytes of notes whose fields are align (4 or 8) aligned.
 * 0 with *id pointing into notes and *len its length, or -ENOENT. */
int klp_note_build_id(const void *notes, size_t size, size_t align,
		      const uint8_t **id, size_t *len);

#endif /* UKLP_KLP_NOTES_H */
