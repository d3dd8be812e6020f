// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The stack unwinder's input: a sample recorded once from a real stopped child (registers,
 * stack window, file mappings: tests/common/unwind_sample.h), then per input some of it
 * replaced: the first byte says what (bit 0: the general registers, bit 1: a shorter
 * window, bit 2: the pc, bit 3: the stack pointer within the window), the rest gives the
 * values and then bytes written over the stack copy at an offset. What a process could put
 * on its own stack or in its registers, the daemon unwinds.
 */
#include "../common/unwind_sample.h"
#include "fuzz_common.h"
#include "unwind.h"

static volatile int sink;

__attribute__((noinline)) static void leaf_fn(void)
{
	raise(SIGSTOP);
	sink++;
}

__attribute__((noinline)) static void top_fn(void)
{
	leaf_fn();
	sink++;
}

static struct sample sample;
static struct unwinder *unw;

static uint64_t take64(const uint8_t **data, size_t *size)
{
	uint64_t v = 0;
	size_t n = *size < 8 ? *size : 8;

	memcpy(&v, *data, n);
	*data += n;
	*size -= n;
	return v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct unwind_frame frames[64];
	struct unwind_result res;
	struct unwind_input in;
	struct strbuf sb;
	uint8_t *stack;
	uint8_t mode;
	int n;

	if (!unw) {
		fuzz_tmpdir();
		sample_child(top_fn, &sample, 16384);
		unw = unwinder_new(4);
		if (!unw)
			abort();
	}
	if (!size)
		return 0;
	in = sample.in;
	mode = data[0];
	data++;
	size--;
	if (mode & 1)
		for (int r = 0; r < UNW_RSP && size; r++)
			in.regs[r] = take64(&data, &size);
	if (mode & 2)
		in.stack_len = take64(&data, &size) % (in.stack_len + 1);
	if (mode & 4)
		in.regs[UNW_RIP] = take64(&data, &size);
	if (mode & 8) {
		/* The window starts at rsp: move both, as a different stop would. */
		uint64_t skip = (take64(&data, &size) % (in.stack_len + 1)) & ~7ull;

		in.regs[UNW_RSP] += skip;
		in.stack_len -= skip;
		in.stack = (const char *)in.stack + skip;
	}
	/* Exactly the window, on the heap: a read past it is caught. */
	stack = malloc(in.stack_len ? in.stack_len : 1);
	if (!stack)
		return 0;
	memcpy(stack, in.stack, in.stack_len);
	if (size >= 2 && in.stack_len) {
		size_t off = (data[0] | (size_t)data[1] << 8) % in.stack_len;
		size_t len = size - 2 < in.stack_len - off ? size - 2 : in.stack_len - off;

		memcpy(stack + off, data + 2, len);
	}
	in.stack = stack;
	n = unwind_stack(unw, &in, frames, 64, &res);
	sb_init(&sb);
	for (int i = 0; i < n; i++)
		unwind_format_frame(unw, &in, &frames[i], &sb);
	sb_free(&sb);
	free(stack);
	return 0;
}
