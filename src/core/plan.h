/* The club's plan, pure arithmetic: where a goal's figure should stand today if it moves in a straight line from
 * its baseline (the figure when the goal was set) to its target at the due date, and whether the live figure is
 * on track or behind. Called by the plans handlers (src/http/plans.c); tested in tests/unit/test_plan.c. */
#ifndef BASHGAH_PLAN_H
#define BASHGAH_PLAN_H

#include <stdbool.h>
#include <stdint.h>

typedef enum plan_track { PLAN_ON_TRACK, PLAN_BEHIND } plan_track;

/* The figure expected at now: baseline at baseline_at, target at due_at, linear between, the target after due_at
 * and the baseline before baseline_at. A due date at or before baseline_at expects the target at once. */
double plan_expected(double baseline, int64_t baseline_at, double target, int64_t due_at, int64_t now);

/* Of the way from baseline to target: how far short of the line a figure may be and still be on track. */
#define PLAN_TRACK_SLACK 0.01

/* On track when value is at least as far toward the target as expected, less PLAN_TRACK_SLACK of the way (a falling
 * target, such as a liability to bring down, counts "at least as far" downwards). Past the due date that means the
 * target is reached within that slack. */
plan_track plan_goal_track(double baseline, int64_t baseline_at, double target, int64_t due_at, int64_t now,
                           double value);
const char *plan_track_name(plan_track t);

#endif
