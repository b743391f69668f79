/* On-track arithmetic of a plan's goals (plan.h). Figures are doubles: shares in percent and money in minor
 * units both fit exactly below 2^53, and nothing here is a balance. */
#include "core/plan.h"

double plan_expected(double baseline, int64_t baseline_at, double target, int64_t due_at, int64_t now)
{
    if (now >= due_at || due_at <= baseline_at)
        return target;
    if (now <= baseline_at)
        return baseline;
    double share = (double)(now - baseline_at) / (double)(due_at - baseline_at);
    return baseline + (target - baseline) * share;
}

plan_track plan_goal_track(double baseline, int64_t baseline_at, double target, int64_t due_at, int64_t now,
                           double value)
{
    double expected = plan_expected(baseline, baseline_at, target, due_at, now);
    bool rising = target >= baseline;
    /* The line moves every millisecond while most figures move in steps (a member, an answer): a figure short of
     * the line by less than PLAN_TRACK_SLACK of the whole way is still on track, so a goal is not "behind" a moment
     * after it was set. */
    double way = target - baseline;
    double slack = PLAN_TRACK_SLACK * (way < 0 ? -way : way) + 1e-9;
    if (rising)
        return value + slack >= expected ? PLAN_ON_TRACK : PLAN_BEHIND;
    return value - slack <= expected ? PLAN_ON_TRACK : PLAN_BEHIND;
}

const char *plan_track_name(plan_track t) { return t == PLAN_ON_TRACK ? "on_track" : "behind"; }
