// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Alert thresholds with hysteresis, and the time-to-limit prediction. */
#include <criterion/criterion.h>

#include "alert.h"

static const double thr[] = { 80, 90, 95 };

Test(alert, crossing_upward_raises_once_for_the_highest)
{
	int crossed, level = 0;

	level = alert_level_update(level, 50, thr, 3, 5, &crossed);
	cr_assert_eq(level, 0);
	cr_assert_eq(crossed, -1);
	level = alert_level_update(level, 81, thr, 3, 5, &crossed);
	cr_assert_eq(level, 1);
	cr_assert_eq(crossed, 0);
	/* A jump over two thresholds alerts once, for 95. */
	level = alert_level_update(level, 97, thr, 3, 5, &crossed);
	cr_assert_eq(level, 3);
	cr_assert_eq(crossed, 2);
}

Test(alert, hovering_at_a_threshold_alerts_once)
{
	int crossed, level = 0, alerts = 0;
	/* Oscillating around 80%, within the 5-point hysteresis band. */
	static const double walk[] = { 79, 80.5, 79.9, 80.1, 76, 80.2, 78, 81, 75.1, 80 };

	for (unsigned i = 0; i < sizeof(walk) / sizeof(walk[0]); i++) {
		level = alert_level_update(level, walk[i], thr, 3, 5, &crossed);
		alerts += crossed >= 0;
	}
	cr_assert_eq(alerts, 1, "%d alerts while hovering", alerts);
	/* Falling below 75 re-arms; crossing 80 again alerts again. */
	level = alert_level_update(level, 74.9, thr, 3, 5, &crossed);
	cr_assert_eq(level, 0);
	level = alert_level_update(level, 80, thr, 3, 5, &crossed);
	cr_assert_eq(crossed, 0);
}

Test(alert, falling_re_arms_only_the_thresholds_left_behind)
{
	int crossed, level = 3;

	level = alert_level_update(level, 88, thr, 3, 5, &crossed); /* below 95-5 and 90-5? no: 88 > 85 */
	cr_assert_eq(level, 2);
	cr_assert_eq(crossed, -1);
	level = alert_level_update(level, 92, thr, 3, 5, &crossed);
	cr_assert_eq(level, 2, "90 stays raised: no new alert");
	cr_assert_eq(crossed, -1);
	level = alert_level_update(level, 96, thr, 3, 5, &crossed);
	cr_assert_eq(crossed, 2, "95 was re-armed at 88");
}

Test(alert, seconds_to_limit)
{
	cr_assert_float_eq(alert_seconds_to_limit(60000, 65530, 553), 10.0, 1e-9);
	cr_assert_float_eq(alert_seconds_to_limit(65530, 65530, 10), 0, 1e-9);
	cr_assert_float_eq(alert_seconds_to_limit(100, 65530, 0), -1, 1e-9);
	cr_assert_float_eq(alert_seconds_to_limit(100, 65530, -3), -1, 1e-9);
}
