package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/mattn/go-sqlite3"

	"github.com/opslab/opslab/internal/opslab"
)

// TeamService stores teams, their members and the leads' progress report.
// It implements opslab.TeamService.
type TeamService struct {
	db *DB
}

var _ opslab.TeamService = (*TeamService)(nil)

// NewTeamService returns a TeamService over db.
func NewTeamService(db *DB) *TeamService {
	return &TeamService{db: db}
}

// CreateTeam stores a new team. The display name defaults to the slug when
// empty. It returns EINVALID for a bad slug or a name over 100 characters
// and ECONFLICT if the slug is taken.
func (s *TeamService) CreateTeam(ctx context.Context, slug, name string) (*opslab.Team, error) {
	slug, name = strings.TrimSpace(slug), strings.TrimSpace(name)
	if err := opslab.ValidateTeamSlug(slug); err != nil {
		return nil, err
	}
	if name == "" {
		name = slug
	}
	if utf8.RuneCountInString(name) > 100 {
		return nil, opslab.Errorf(opslab.EINVALID, "The team name is longer than 100 characters.")
	}

	tx, err := s.db.begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("create team: %w", err)
	}
	defer tx.Rollback()
	t, err := createTeam(ctx, tx, slug, name)
	if err != nil {
		return nil, wrap("create team", err)
	}
	if err := tx.commit("create team"); err != nil {
		return nil, err
	}
	return t, nil
}

// FindTeamBySlug returns the team with the slug, or ENOTFOUND.
func (s *TeamService) FindTeamBySlug(ctx context.Context, slug string) (*opslab.Team, error) {
	tx, err := s.db.beginRead(ctx)
	if err != nil {
		return nil, fmt.Errorf("find team: %w", err)
	}
	defer tx.Rollback()
	t, err := findTeamBySlug(ctx, tx, slug)
	if err != nil {
		return nil, wrap("find team", err)
	}
	return t, nil
}

// AddMember puts the user in the team, as a lead or not. For a user who is
// already a member it only sets the lead flag; the join time is kept. It
// returns ENOTFOUND for an unknown team or user.
func (s *TeamService) AddMember(ctx context.Context, teamID, userID int64, lead bool) error {
	tx, err := s.db.begin(ctx)
	if err != nil {
		return fmt.Errorf("add member: %w", err)
	}
	defer tx.Rollback()
	if _, err := findTeamByID(ctx, tx, teamID); err != nil {
		return wrap("add member", err)
	}
	if _, err := findUserByID(ctx, tx, userID); err != nil {
		return wrap("add member", err)
	}
	if err := addMember(ctx, tx, teamID, userID, lead); err != nil {
		return wrap("add member", err)
	}
	return tx.commit("add member")
}

// IsLead reports whether the user is a lead of the team. It is false, with
// no error, when the team or the user does not exist.
func (s *TeamService) IsLead(ctx context.Context, teamID, userID int64) (bool, error) {
	tx, err := s.db.beginRead(ctx)
	if err != nil {
		return false, fmt.Errorf("is lead: %w", err)
	}
	defer tx.Rollback()
	var lead bool
	err = tx.QueryRowContext(ctx, `SELECT lead FROM team_members WHERE team_id = ? AND user_id = ?`,
		teamID, userID).Scan(&lead)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	} else if err != nil {
		return false, fmt.Errorf("is lead: %w", err)
	}
	return lead, nil
}

// TeamMembers returns the team's members, leads and learners, ordered by
// email. It returns ENOTFOUND for an unknown team.
func (s *TeamService) TeamMembers(ctx context.Context, teamID int64) ([]*opslab.User, error) {
	tx, err := s.db.beginRead(ctx)
	if err != nil {
		return nil, fmt.Errorf("team members: %w", err)
	}
	defer tx.Rollback()
	if _, err := findTeamByID(ctx, tx, teamID); err != nil {
		return nil, wrap("team members", err)
	}
	users, err := findUsers(ctx, tx, `
		JOIN team_members m ON m.user_id = users.id
		WHERE m.team_id = ? ORDER BY users.email`, teamID)
	if err != nil {
		return nil, fmt.Errorf("team members: %w", err)
	}
	return users, nil
}

// TeamsOfUser returns the teams the user is a member of, leading or not,
// ordered by slug; an empty list for a user in no team or unknown.
func (s *TeamService) TeamsOfUser(ctx context.Context, userID int64) ([]*opslab.Team, error) {
	tx, err := s.db.beginRead(ctx)
	if err != nil {
		return nil, fmt.Errorf("teams of user: %w", err)
	}
	defer tx.Rollback()
	rows, err := tx.QueryContext(ctx, `
		SELECT t.id, t.slug FROM teams t
		JOIN team_members m ON m.team_id = t.id
		WHERE m.user_id = ? ORDER BY t.slug`, userID)
	if err != nil {
		return nil, fmt.Errorf("teams of user: %w", err)
	}
	defer rows.Close()
	teams := []*opslab.Team{}
	for rows.Next() {
		var t opslab.Team
		if err := rows.Scan(&t.ID, &t.Slug); err != nil {
			return nil, fmt.Errorf("teams of user: %w", err)
		}
		teams = append(teams, &t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("teams of user: %w", err)
	}
	return teams, nil
}

// TeamProgress returns one row per learner of the team (members who are not
// leads), ordered by email: the exercises they passed and the lessons they
// completed, over all courses, and their last activity (the latest lesson
// view, reading time, completion or exercise attempt; nil if none). It
// returns ENOTFOUND for an unknown team.
func (s *TeamService) TeamProgress(ctx context.Context, teamID int64) ([]opslab.LearnerProgress, error) {
	tx, err := s.db.beginRead(ctx)
	if err != nil {
		return nil, fmt.Errorf("team progress: %w", err)
	}
	defer tx.Rollback()
	if _, err := findTeamByID(ctx, tx, teamID); err != nil {
		return nil, wrap("team progress", err)
	}

	// The two-argument max() is NULL if either side is, hence the '' stand-in.
	rows, err := tx.QueryContext(ctx, `
		SELECT u.id, u.email, u.name,
			(SELECT COUNT(*) FROM exercise_passes p WHERE p.user_id = u.id),
			(SELECT COUNT(*) FROM lesson_progress l WHERE l.user_id = u.id AND l.completed_at IS NOT NULL),
			NULLIF(max(
				COALESCE((SELECT MAX(l.last_activity_at) FROM lesson_progress l WHERE l.user_id = u.id), ''),
				COALESCE((SELECT MAX(a.created_at) FROM exercise_attempts a WHERE a.user_id = u.id), '')
			), '')
		FROM team_members m
		JOIN users u ON u.id = m.user_id
		WHERE m.team_id = ? AND m.lead = 0
		ORDER BY u.email`, teamID)
	if err != nil {
		return nil, fmt.Errorf("team progress: %w", err)
	}
	defer rows.Close()
	report := []opslab.LearnerProgress{}
	for rows.Next() {
		var p opslab.LearnerProgress
		var last sql.NullString
		if err := rows.Scan(&p.UserID, &p.Email, &p.Name, &p.PassedExercises, &p.CompletedLessons, &last); err != nil {
			return nil, fmt.Errorf("team progress: %w", err)
		}
		if p.LastActivity, err = parseNullTime(last); err != nil {
			return nil, fmt.Errorf("team progress: %w", err)
		}
		report = append(report, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("team progress: %w", err)
	}
	return report, nil
}

// createTeam inserts a team, or returns ECONFLICT if the slug is taken.
func createTeam(ctx context.Context, tx *tx, slug, name string) (*opslab.Team, error) {
	res, err := tx.ExecContext(ctx, `INSERT INTO teams (slug, name, created_at) VALUES (?, ?, ?)`,
		slug, name, formatTime(tx.now))
	if isConstraint(err, sqlite3.ErrConstraintUnique) {
		return nil, opslab.Errorf(opslab.ECONFLICT, "The team %s already exists.", slug)
	} else if err != nil {
		return nil, fmt.Errorf("insert team: %w", err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return nil, fmt.Errorf("insert team: %w", err)
	}
	return &opslab.Team{ID: id, Slug: slug}, nil
}

// findTeamBySlug returns the team with the slug, or ENOTFOUND.
func findTeamBySlug(ctx context.Context, tx *tx, slug string) (*opslab.Team, error) {
	var t opslab.Team
	err := tx.QueryRowContext(ctx, `SELECT id, slug FROM teams WHERE slug = ?`, slug).Scan(&t.ID, &t.Slug)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, opslab.Errorf(opslab.ENOTFOUND, "There is no team %s.", slug)
	} else if err != nil {
		return nil, fmt.Errorf("query team %s: %w", slug, err)
	}
	return &t, nil
}

// findTeamByID returns the team with the id, or ENOTFOUND.
func findTeamByID(ctx context.Context, tx *tx, id int64) (*opslab.Team, error) {
	var t opslab.Team
	err := tx.QueryRowContext(ctx, `SELECT id, slug FROM teams WHERE id = ?`, id).Scan(&t.ID, &t.Slug)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, opslab.Errorf(opslab.ENOTFOUND, "There is no team with id %d.", id)
	} else if err != nil {
		return nil, fmt.Errorf("query team %d: %w", id, err)
	}
	return &t, nil
}

// addMember inserts the membership or, if it exists, sets its lead flag.
func addMember(ctx context.Context, tx *tx, teamID, userID int64, lead bool) error {
	_, err := tx.ExecContext(ctx, `
		INSERT INTO team_members (team_id, user_id, lead, joined_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (team_id, user_id) DO UPDATE SET lead = excluded.lead`,
		teamID, userID, lead, formatTime(tx.now))
	if err != nil {
		return fmt.Errorf("insert team member: %w", err)
	}
	return nil
}
