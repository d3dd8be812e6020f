/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef VMATRACE_VERSION_H
#define VMATRACE_VERSION_H

#define VMATRACE_VERSION "0.1.0"

#endif
