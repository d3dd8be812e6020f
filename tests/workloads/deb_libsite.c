// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * A PIE program whose mmap calls are made in a shared library of its own
 * (build/workloads/libvmtsite.so, found through its RUNPATH $ORIGIN), both at
 * randomized bases, built with Debian's default flags. -DVMT_SITE_LIB builds the library.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#ifdef VMT_SITE_LIB
__attribute__((noinline)) void vmt_lib_map_pages(int n)
{
	for (int i = 0; i < n; i++) {
		void *p = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p == MAP_FAILED)
			abort();
		munmap(p, 4096);
	}
}
#else
void vmt_lib_map_pages(int n);

__attribute__((noinline)) static void app_calls_lib(void)
{
	vmt_lib_map_pages(10);
}

int main(void)
{
	usleep(300000); /* the tracer attaches by pid first */
	app_calls_lib();
	printf("done\n");
	return 0;
}
#endif
