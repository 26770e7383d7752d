package lab

import (
	"context"

	"github.com/opslab/opslab/internal/check"
	"github.com/opslab/opslab/internal/opslab"
)

// RunSolution applies the exercise's reference solution in the target
// user's own sandbox and runs the checks on the result, for instructors
// trying their exercises. A sandbox started for it runs the exercise's
// setup first; one already running keeps its state, so the solution lands
// on whatever the user did there. Nothing is recorded, no attempt and no
// pass; the verdict becomes the user's last live one, so that a console
// command that leaves it as it is records nothing either.
//
// It returns EUNAVAILABLE when no sandbox can be had, and ECONFLICT with
// the failing line when the solution does not apply (a Reset usually
// cures that).
func (s *Service) RunSolution(ctx context.Context, t Target) (*check.Report, error) {
	inst, _, err := s.prepare(ctx, t)
	if err != nil {
		return nil, err
	}
	if err := s.ApplySolution(ctx, t); err != nil {
		if opslab.ErrorCode(err) != opslab.EINTERNAL {
			return nil, err
		}
		s.log.Warn("reference solution failed", "course", t.Course.Slug, "lesson", t.Lesson.Slug,
			"exercise", t.Exercise.ID, "user", t.UserID, "err", err)
		return nil, opslab.Errorf(opslab.ECONFLICT,
			"The reference solution failed in your sandbox (%v). Reset the sandbox and run it again.", err)
	}
	rep := s.runChecks(ctx, t, inst)
	s.live.changed(liveKey{t.UserID, t.key()}, verdict(rep))
	return &rep, nil
}
