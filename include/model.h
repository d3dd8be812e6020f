/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The live model of every traced address space: per process, the exact set
 * of VMAs (as /proc/PID/maps would show them), the VMA count, mapped bytes by
 * kind, the heap break and its high-water mark, a consolidated timeline and a
 * flight recorder of the last raw events. Everything downstream (status,
 * snapshot, alerts, journal, metrics) reads from here.
 */
#ifndef VMATRACE_MODEL_H
#define VMATRACE_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "container.h"
#include "hmap.h"
#include "strbuf.h"
#include "vmamap.h"
#include "vmatrace.h"

/* What a VMA is, for the census. */
enum vma_kind {
	VK_ANON = 0,	 /* private or shared anonymous memory */
	VK_HEAP,	 /* the brk heap */
	VK_STACK,	 /* the main thread's stack (grows down) */
	VK_THREAD_STACK, /* mapped with MAP_STACK (glibc thread stacks) */
	VK_FILE,	 /* file-backed, including shared memory files */
	VK_RESERVED,	 /* PROT_NONE anonymous, larger than a guard: arena reservations */
	VK_GUARD,	 /* PROT_NONE anonymous, small: guard pages */
	VK_SPECIAL,	 /* vdso, vvar and other kernel-installed mappings */
	VK__COUNT,
};

/* struct vma_entry.flags */
#define VF_READ (1u << 0)
#define VF_WRITE (1u << 1)
#define VF_EXEC (1u << 2)
#define VF_MAYSHARE (1u << 3)
#define VF_GROWSDOWN (1u << 4)
#define VF_SPECIAL (1u << 5)   /* no file, installed by the kernel (VM_DONTEXPAND/PFNMAP/IO...) */
#define VF_STACKHINT (1u << 6) /* MAP_STACK (the kernel marks it VM_NOHUGEPAGE) */
#define VF_DONTCOPY (1u << 7)  /* MADV_DONTFORK (VM_DONTCOPY): a child does not inherit it */

#define VK_GUARD_MAX (64u << 10) /* PROT_NONE regions up to this size count as guards */

/*
 * Bits of the kernel's vm_flags (struct vmt_vma.vm_flags) that the model reads
 * (include/linux/mm.h; stable for years). The /proc reader produces them too.
 */
#define VMT_VM_READ 0x1ull
#define VMT_VM_WRITE 0x2ull
#define VMT_VM_EXEC 0x4ull
#define VMT_VM_MAYSHARE 0x80ull
#define VMT_VM_GROWSDOWN 0x100ull
#define VMT_VM_PFNMAP 0x400ull
#define VMT_VM_IO 0x4000ull
#define VMT_VM_DONTCOPY 0x20000ull
#define VMT_VM_DONTEXPAND 0x40000ull
#define VMT_VM_MIXEDMAP 0x10000000ull
#define VMT_VM_NOHUGEPAGE 0x40000000ull

/* The model's defaults, also the configuration file's (config.c). */
#define MODEL_DEFAULT_TIMELINE_RESOLUTION_NS 1000000000ull /* 1 s */
#define MODEL_DEFAULT_TIMELINE_POINTS 3600u		   /* an hour at 1 s */
#define MODEL_DEFAULT_FLIGHT_EVENTS 4096u
#define MODEL_DEFAULT_MEMORY_LIMIT (256ull << 20) /* timelines + flight recorders */

const char *model_kind_name(enum vma_kind k);

/*
 * One point of the consolidated timeline: an interval in which something happened. The
 * values are a gauge's: each holds until the next point (or the process's exit, or now),
 * so a quiet interval needs no point. Min and max count the value held into the interval.
 */
struct tl_point {
	uint64_t t_ns; /* start of the interval, CLOCK_MONOTONIC */
	uint32_t vmas_min, vmas_max, vmas_last;
	uint32_t calls, failures;
	uint32_t pad;
	uint64_t mapped;     /* bytes, at the end of the interval */
	uint64_t brk;	     /* heap size in bytes (model_heap_size) at the end of the interval */
	uint64_t mapped_max; /* the most mapped bytes during the interval */
	uint64_t brk_max;    /* the largest heap size during the interval */
};

/* One raw event in the flight recorder, compact. */
struct fr_event {
	uint64_t ts_ns;
	uint32_t tid;
	uint8_t type; /* enum vmt_record_type */
	uint8_t sys;  /* enum vmt_sys, for syscalls */
	uint16_t pad;
	uint64_t args[3];
	int64_t ret;
	uint32_t map_count;
	uint32_t pad2;
	uint64_t brk;	 /* break address after the event */
	uint64_t mapped; /* bytes mapped after the event (for an exec: once its VMAs came) */
};

/*
 * Failed calls of a process by system call and errno, counted exactly (alerts are
 * rate-limited, these never are): at most MODEL_FAIL_KEYS pairs, the first ones seen;
 * failures of later pairs count in model_proc.failures only.
 */
#define MODEL_FAIL_KEYS 16
struct model_fail {
	uint16_t sys; /* enum vmt_sys */
	uint16_t err;
	uint32_t pad;
	uint64_t n;
};

struct model_proc {
	uint32_t tgid;
	uint32_t uid; /* real uid, from its newest record (alerts are limited per user) */
	char comm[VMT_COMM_LEN];
	struct vmamap *map;
	/*
	 * Break addresses (0: unknown). brk_hwm is the highest break since start_brk was
	 * set; it is an address: read sizes with model_heap_size() and model_heap_hwm().
	 */
	uint64_t start_brk, brk, brk_hwm, first_brk;
	uint64_t bytes[VK__COUNT];
	uint64_t mapped; /* the sum of bytes[], kept with them (model_account) */
	uint32_t count[VK__COUNT];
	uint32_t kernel_count;	  /* mm->map_count from the newest event (model_rec_newer) */
	uint64_t kernel_count_ns; /* that event's time */
	uint32_t kernel_seq;	  /* and its mmap-lock sequence (vmt_hdr.mm_seq; 0: none known) */
	uint64_t stack_end;	  /* end of the grows-down stack VMA (it only moves down) */
	/*
	 * mm->stack_vm (pages) the model's stack last agreed with: follow_stack() skips its
	 * lookup while records carry the same size. 0 again whenever a grows-down entry changes.
	 */
	uint64_t stack_pages_seen;
	uint64_t events, failures, resyncs;
	struct model_fail *fails; /* by first occurrence; NULL until the first failure */
	uint32_t nfails;
	uint64_t first_ns, last_ns;
	/* An exec's VMA records are arriving: expect this many, this next index. */
	uint32_t exec_expect, exec_next;
	bool exec_pending;
	bool need_resync; /* the model could not follow an event: read the kernel's VMAs */
	bool seeded;	  /* the address space was read from the kernel at least once */
	/*
	 * A read from the kernel found it exited or exiting (its records are still being
	 * read): its VMAs stay what its events said, and it is not read again.
	 */
	bool gone;
	/*
	 * After a read from the kernel: events older than skip_before_ns are already in it;
	 * events until settle_ns may be in it too, so they are applied (idempotent) without
	 * judging the count.
	 */
	uint64_t skip_before_ns, settle_ns;
	char *cgroup; /* memory cgroup path, set by the daemon (NULL: not read) */
	/* Its container (container.h), read by the daemon when first needed (NULL: none). */
	struct container *container;
	bool container_read;
	struct sites *sites; /* call sites (sites.h), kept by the daemon; freed with the process */
	/* A count mismatch held until a record explains it (model.c count_explained). */
	uint64_t suspect_ns;
	uint32_t suspect_count;
	/* What the last syscall record did to the model by itself (call sites weigh by it). */
	struct {
		int64_t vmas, bytes;
		bool measured; /* false: skipped (already read from the kernel) or not followed */
	} call;
	uint64_t memcg_id; /* kernfs id of its memory cgroup, from exec or seeding (0: unknown) */
	/* Timeline: a ring of points (oldest first from tl_head), plus the open one. */
	struct tl_point *tl;
	uint32_t tl_cap, tl_len, tl_head;
	struct tl_point tl_cur;
	bool tl_open;
	/* tl_cur's last values hold (it was closed): a new interval starts from them. */
	bool tl_held;
	bool tl_fresh; /* tl_cur is the first interval of this image: always a point */
	/* Where this image's timeline began (its first value), for rates over a window. */
	uint64_t tl_origin_ns;
	uint32_t tl_origin_vmas;
	/* Flight recorder: ring of the last events. */
	struct fr_event *fr;
	uint32_t fr_cap, fr_len, fr_head;
	uint64_t fr_lost; /* events pushed out (ring full, or memory budget hit) */
};

/*
 * Reads a process's VMAs from the kernel into the model (model_seed_* calls): 0, -ESRCH
 * when it has exited or is exiting (nothing read: the model keeps its state and marks it
 * gone), another -errno on failure.
 */
typedef int (*model_reseed_fn)(void *ctx, uint32_t tgid);

/* Zero fields take the MODEL_DEFAULT_* values. */
struct model_config {
	uint64_t timeline_resolution_ns;
	uint32_t timeline_points; /* per process */
	uint32_t flight_events;	  /* per process */
	uint64_t memory_limit;	  /* bytes for timelines + flight recorders */
	model_reseed_fn reseed;	  /* NULL: never resync (tests) */
	void *reseed_ctx;
	/* Called for each timeline point as it is closed (the journal writes them). */
	void (*on_point)(void *ctx, const struct model_proc *p, const struct tl_point *t);
	void *point_ctx;
};

struct model_stats {
	uint64_t events, resyncs, resync_failures, seeds, procs_created, procs_exited;
	uint64_t resyncs_gone; /* resyncs not done: the process had exited (model kept) */
	uint64_t fr_lost, tl_dropped;
	uint64_t detail_bytes; /* timelines + flight recorders */
	uint64_t repairs; /* processes read again because their records were lost (model_repair) */
};

struct model {
	struct model_config cfg;
	struct hmap procs; /* tgid -> struct model_proc */
	/* The process of the last model_proc_get(): a record is looked up several times. */
	struct model_proc *last_proc;
	struct model_stats st;
	/*
	 * File identities (dev, inode), shared by all processes. Paths are not kept: an
	 * inode number is reused by the next file, so a path is read when it is shown.
	 */
	struct hmap file_ids; /* (dev << 32 ^ ino) hash -> index */
	struct model_file *files;
	uint32_t nfiles, files_cap;
	bool in_reseed;
	uint64_t walk_start_ns; /* a read from the kernel is under way since then */
};

struct model_file {
	uint64_t ino;
	uint32_t dev;
	uint32_t pad;
};

struct model *model_new(const struct model_config *cfg);
void model_free(struct model *m);

/* Apply one ring-buffer record. */
void model_apply(struct model *m, const void *rec, size_t size);

struct model_proc *model_proc_get(struct model *m, uint32_t tgid);
/* Forget a process (it exited or we stop tracing it). */
void model_proc_drop(struct model *m, uint32_t tgid);
/*
 * Forget processes marked gone that had no record for quiet_ns before now_ns (their exit
 * record was lost: the ring buffer was full). Returns how many.
 */
size_t model_forget_gone(struct model *m, uint64_t now_ns, uint64_t quiet_ns);

/* Bracket a walk of the kernel's VMAs (one process or all): see skip_before_ns. */
void model_seed_walk_begin(struct model *m);
void model_seed_walk_end(struct model *m);
/* Replace a process's address space with one read from the kernel. */
struct model_proc *model_seed_begin(struct model *m, uint32_t tgid, const char *comm,
				    uint32_t map_count, uint64_t start_brk, uint64_t brk);
int model_seed_vma(struct model *m, struct model_proc *p, const struct vmt_vma *v);
void model_seed_end(struct model *m, struct model_proc *p);
/*
 * Feeding seeding records into the model: those of the BPF iterator (tracer_seed)
 * and the same records made from /proc (procfs_seed), through the one entry point.
 */
struct model_seeder {
	struct model *m;
	struct model_proc *p;
};
/* A tracer_seed_fn and a procfs_seed_fn: ctx is a struct model_seeder. */
int model_seed_iter(void *ctx, const struct vmt_iter_rec *r);
/* After the walk: close the last process. */
void model_seeder_end(struct model_seeder *s);

/* Queries. */
size_t model_vma_count(const struct model_proc *p);
uint64_t model_mapped_bytes(const struct model_proc *p);
/* Failed calls of p with this system call and errno (0 when not counted). */
uint64_t model_failures_of(const struct model_proc *p, unsigned int sys, int err);

/* What a process looked like at one instant (model_state_at). */
struct model_state {
	uint32_t vmas;
	uint8_t source; /* enum model_state_source */
	uint64_t at_ns; /* when these values are known to hold: the instant asked, or before */
	uint64_t mapped, heap; /* bytes */
};
enum model_state_source { MS_NONE, MS_FLIGHT, MS_TIMELINE, MS_NOW };
/*
 * p's VMA count, mapped bytes and heap size at t (CLOCK_MONOTONIC), as the last event at
 * or before t left them: from the flight recorder (exact, every event) where it reaches
 * back to t, else from the timeline (intervals of resolution_ns): an interval that ended by
 * t gives its last values; one that t is inside, those the interval before it left, or if
 * there is none its own from its end (at_ns says when the values held, maybe after t).
 * MS_NONE (zeros) when nothing is known that early.
 */
struct model_state model_state_at(const struct model_proc *p, uint64_t t_ns,
				  uint64_t resolution_ns);
/* The earliest time model_state_at knows anything about (0: nothing). */
uint64_t model_known_since(const struct model_proc *p);

/* Heap size in bytes (brk - start_brk), 0 when the heap is unknown or empty. */
static inline uint64_t model_heap_size(const struct model_proc *p)
{
	return p->start_brk && p->brk > p->start_brk ? p->brk - p->start_brk : 0;
}

/* The heap's high-water mark in bytes: a size, never a break address. */
static inline uint64_t model_heap_hwm(const struct model_proc *p)
{
	return p->start_brk && p->brk_hwm > p->start_brk ? p->brk_hwm - p->start_brk : 0;
}

/*
 * What the model does not keep and output shows: names, read when they are shown
 * (procfs_resolver reads them from /proc; tests pass their own).
 */
struct model_special_name {
	uint64_t start;
	char name[32];
};

struct model_resolver {
	/*
	 * The path of the file mapped at [start, end) of tgid, NUL-terminated into buf:
	 * its length, or a negative errno when it cannot be read.
	 */
	int (*file_path)(void *ctx, uint32_t tgid, uint64_t start, uint64_t end, char *buf,
			 size_t size);
	/*
	 * The names the kernel gives its own mappings ([vdso], [vvar], ...), which no event
	 * carries: how many, in a malloc'd array at *out (NULL when none).
	 */
	size_t (*special_names)(void *ctx, uint32_t tgid, struct model_special_name **out);
	void *ctx;
};

/* Output. */
/* The VMAs in /proc/PID/maps format (without [vsyscall]); names through res (NULL: none). */
void model_format_maps(struct model *m, struct model_proc *p, const struct model_resolver *res,
		       struct strbuf *sb);
/* The same VMAs as one JSON object: {"pid","comm","vma_count","mapped","vmas":[{"start",
 * "end","size","perms","offset","dev","inode","name","kind"}...]}. */
void model_format_maps_json(struct model *m, struct model_proc *p, const struct model_resolver *res,
			    struct strbuf *sb);
/* Census by kind and size classes. */
void model_format_census(struct model *m, struct model_proc *p, struct strbuf *sb, bool json);
/* Each point with the time its values hold until: the next point's, or now_ns for the last. */
void model_format_timeline(struct model *m, struct model_proc *p, struct strbuf *sb, bool json,
			   long long realtime_offset_ns, uint64_t now_ns);
/*
 * VMA count growth per second over the trailing window [now - window, now]: the count now
 * minus the count held at the window's start (from the flight recorder where it reaches
 * back that far, else the timeline of that resolution), over the window (or the process's
 * life, if shorter; at least one interval). A process that stopped changing a window ago
 * has 0.
 */
double model_growth_rate(const struct model_proc *p, uint64_t resolution_ns, uint64_t now_ns,
			 uint64_t window_ns);
/* Start every process's timeline with the values it holds now (after the first seeding). */
void model_tl_mark(struct model *m, uint64_t now_ns);
/* Bytes used by the model: maps, timelines, flight recorders. */
uint64_t model_memory(const struct model *m);
/* Close open timeline intervals older than now, resync held mismatches (call periodically). */
void model_tick(struct model *m, uint64_t now_ns);
/* Before answering about p: a mismatch still held is resolved now (resync). */
void model_settle(struct model *m, struct model_proc *p);
/*
 * Records of tgid were lost (the ring buffer was full): read the process again
 * from the kernel, whether the model knows it or not (its fork may be what was
 * lost), and cancel an exec whose VMA records stopped coming.
 */
void model_repair(struct model *m, uint32_t tgid);
/* How long an exec's VMA records may take before the process is read instead (lost). */
#define MODEL_EXEC_WAIT_NS 1000000000ull
/* How long (in the records' time) a count mismatch may wait for records that explain it. */
#define MODEL_SUSPECT_NS 20000000ull

#endif
