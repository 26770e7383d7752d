package server_test

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"testing"
	"testing/fstest"
	"time"

	_ "github.com/mattn/go-sqlite3"

	"github.com/opslab/opslab/internal/opslab"
)

// Size of the benchmarked team and course.
const (
	benchLearners  = 500
	benchLessons   = 30
	benchExercises = 2 // per lesson
)

// benchDashboardSite serves a course of benchLessons lessons with
// benchExercises exercises each, and a team of benchLearners learners with
// seeded activity, and returns a client signed in as the team's lead.
//
// The activity is what a cohort a few weeks in looks like: each learner
// has reached some lesson (anywhere from none to all of them), has read
// and passed every lesson before it, often after failed checks and live
// checks and with a hint here and there, and is on the reached lesson now,
// some of them failing one exercise over and over, a few reading far
// longer than the rest. It is seeded in one transaction for speed.
func benchDashboardSite(b *testing.B) (*dashSite, *client) {
	b.Helper()
	fsys := fstest.MapFS{}
	counts := make([]int, benchLessons)
	for i := range counts {
		counts[i] = benchExercises
	}
	dashCourse(fsys, "ops", "Operating Redis", counts)
	site := newDashSite(b, fsys)
	site.addUser(b, "lead@example.com", "Lead", opslab.RoleLead, "bench")
	team, err := site.teams.FindTeamBySlug(context.Background(), "bench")
	if err != nil {
		b.Fatal(err)
	}
	if err := seedBenchTeam(site.db.Path(), team.ID); err != nil {
		b.Fatal(err)
	}
	return site, site.signIn(b, "lead@example.com")
}

// seedBenchTeam writes the learners and their activity straight into the
// database file.
func seedBenchTeam(path string, teamID int64) error {
	db, err := sql.Open("sqlite3", "file:"+path+"?_foreign_keys=on&_busy_timeout=5000")
	if err != nil {
		return err
	}
	defer db.Close()
	tx, err := db.Begin()
	if err != nil {
		return err
	}
	defer tx.Rollback()
	rng := rand.New(rand.NewPCG(1, 2))
	now := time.Now().UTC()
	ts := func(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000000Z07:00") }
	stmt := func(q string) *sql.Stmt {
		s, perr := tx.Prepare(q)
		if perr != nil && err == nil {
			err = perr
		}
		return s
	}
	addUser := stmt(`INSERT INTO users (email, name, role, password_hash, created_at) VALUES (?, ?, 'learner', 'x', ?)`)
	addMember := stmt(`INSERT INTO team_members (team_id, user_id, lead, joined_at) VALUES (?, ?, 0, ?)`)
	addProgress := stmt(`INSERT INTO lesson_progress (user_id, course, lesson, first_viewed_at, last_activity_at, completed_at, time_spent_ms)
		VALUES (?, 'ops', ?, ?, ?, NULL, ?)`)
	addAttempt := stmt(`INSERT INTO exercise_attempts (user_id, course, lesson, exercise, content_hash, passed, failed_checks, kind, created_at)
		VALUES (?, 'ops', ?, ?, 'h', ?, ?, ?, ?)`)
	addPass := stmt(`INSERT INTO exercise_passes (user_id, course, lesson, exercise, content_hash, passed_at) VALUES (?, 'ops', ?, ?, 'h', ?)`)
	addHint := stmt(`INSERT INTO hint_reveals (user_id, course, lesson, exercise, hint_index, revealed_at) VALUES (?, 'ops', ?, ?, ?, ?)`)
	if err != nil {
		return err
	}
	exec := func(s *sql.Stmt, args ...any) sql.Result {
		res, xerr := s.Exec(args...)
		if xerr != nil && err == nil {
			err = xerr
		}
		return res
	}
	for i := range benchLearners {
		start := now.Add(-time.Duration(20+rng.IntN(25)) * 24 * time.Hour)
		res := exec(addUser, fmt.Sprintf("learner%03d@example.com", i), fmt.Sprintf("Learner %03d", i), ts(start))
		if err != nil {
			return err
		}
		uid, _ := res.LastInsertId()
		exec(addMember, teamID, uid, ts(start))
		reached := rng.IntN(benchLessons + 1)
		at := start
		for l := 0; l <= reached && l < benchLessons; l++ {
			lesson := fmt.Sprintf("lesson-%02d", l+1)
			current := l == reached
			spent := time.Duration(5+rng.IntN(20)) * time.Minute
			if current && rng.IntN(20) == 0 {
				spent = time.Duration(60+rng.IntN(60)) * time.Minute
			}
			first := at
			for e := 1; e <= benchExercises; e++ {
				ex := fmt.Sprintf("ex-%d", e)
				fails := rng.IntN(3)
				if current && e == benchExercises && rng.IntN(4) == 0 {
					fails = 3 + rng.IntN(4)
				}
				for range fails {
					at = at.Add(time.Duration(1+rng.IntN(5)) * time.Minute)
					exec(addAttempt, uid, lesson, ex, 0, fmt.Sprintf(`["%d: k%d must hold v."]`, 1+rng.IntN(2), e), "check", ts(at))
					if rng.IntN(2) == 0 {
						exec(addAttempt, uid, lesson, ex, 0, fmt.Sprintf(`["2: k%d must exist."]`, e), "live", ts(at.Add(time.Second)))
					}
				}
				if rng.IntN(5) == 0 {
					exec(addHint, uid, lesson, ex, 0, ts(at))
				}
				if current && e == benchExercises {
					break
				}
				at = at.Add(time.Duration(1+rng.IntN(5)) * time.Minute)
				exec(addAttempt, uid, lesson, ex, 1, "[]", "check", ts(at))
				exec(addPass, uid, lesson, ex, ts(at))
			}
			exec(addProgress, uid, lesson, ts(first), ts(at), spent.Milliseconds())
			at = at.Add(time.Duration(rng.IntN(36)) * time.Hour)
			if at.After(now) {
				at = now
			}
		}
		if err != nil {
			return err
		}
	}
	if err != nil {
		return err
	}
	return tx.Commit()
}

// benchPage fetches path b.N times, one request at a time, and reports
// the milliseconds per page and its size.
func benchPage(b *testing.B, c *client, path string) {
	b.Helper()
	st, _, page := c.do("GET", path, "")
	if st != 200 {
		b.Fatalf("GET %s: %d %.300s", path, st, page)
	}
	b.SetBytes(int64(len(page)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		res, err := c.http.Get(c.base + path)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			b.Fatalf("GET %s: %d", path, res.StatusCode)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/op")
}

// BenchmarkTeamDashboard measures GET /teams/{team} for a team of 500
// learners on a course of 30 lessons with 2 exercises each, end to end
// over loopback HTTP: session, authorization, the store's queries, the
// dashboard's computation and the page's template (heatmap SVG, the same
// data as a table, the learners table, failures, chart). Target: under
// 200 ms a page.
func BenchmarkTeamDashboard(b *testing.B) {
	_, lead := benchDashboardSite(b)
	benchPage(b, lead, "/teams/bench")
}

// BenchmarkTeamDashboardAPI measures the dashboard's JSON twin on the same
// team.
func BenchmarkTeamDashboardAPI(b *testing.B) {
	_, lead := benchDashboardSite(b)
	benchPage(b, lead, "/api/teams/bench/dashboard")
}

// BenchmarkTeamLearnerPage measures a learner's detail page on the same
// team: it reads the whole team too, for the stuck signal.
func BenchmarkTeamLearnerPage(b *testing.B) {
	site, lead := benchDashboardSite(b)
	var id int64
	if err := rawQueryRow(site.db.Path(), `SELECT id FROM users WHERE email = 'learner007@example.com'`, &id); err != nil {
		b.Fatal(err)
	}
	benchPage(b, lead, fmt.Sprintf("/teams/bench/learners/%d", id))
}

// rawQueryRow reads one row from the database file.
func rawQueryRow(path, q string, dest ...any) error {
	db, err := sql.Open("sqlite3", "file:"+path+"?_query_only=1")
	if err != nil {
		return err
	}
	defer db.Close()
	return db.QueryRow(q).Scan(dest...)
}
