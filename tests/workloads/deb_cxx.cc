// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
// A C++ program (Debian's default flags) whose mmap calls come from a method of a class in a
// namespace and a template: trace -k must show the names demangled, as strace -k does.
#include <sys/mman.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

namespace vmt
{
template <typename T> struct Pool {
	__attribute__((noinline)) void grow(int pages)
	{
		void *p = mmap(nullptr, pages * sizeof(T), PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			std::abort();
		munmap(p, pages * sizeof(T));
	}
};

struct Page {
	char bytes[4096];
};

class Arena
{
      public:
	__attribute__((noinline)) void reserve(int n)
	{
		for (int i = 0; i < n; i++)
			pool_.grow(1 + i % 4);
	}

      private:
	Pool<Page> pool_;
};
} // namespace vmt

int main()
{
	vmt::Arena a;

	usleep(300000); // the tracer attaches by pid first
	a.reserve(10);
	std::printf("done\n");
	return 0;
}
