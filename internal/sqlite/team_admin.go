package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/opslab/opslab/internal/opslab"
)

// TeamAdminService manages teams for admins and leads: lists with leads and
// learner counts, creation with leads, members and display names. It
// implements opslab.TeamAdminService.
type TeamAdminService struct {
	db *DB
}

var _ opslab.TeamAdminService = (*TeamAdminService)(nil)

// NewTeamAdminService returns a TeamAdminService over db.
func NewTeamAdminService(db *DB) *TeamAdminService {
	return &TeamAdminService{db: db}
}

// ListTeams returns every team, ordered by slug; an empty list if none.
func (s *TeamAdminService) ListTeams(ctx context.Context) ([]*opslab.TeamSummary, error) {
	return s.summaries(ctx, "list teams", `1 = 1`)
}

// TeamsLedBy returns the teams the user leads, ordered by slug; an empty
// list for a user who leads none or does not exist.
func (s *TeamAdminService) TeamsLedBy(ctx context.Context, userID int64) ([]*opslab.TeamSummary, error) {
	return s.summaries(ctx, "teams led by user",
		`t.id IN (SELECT team_id FROM team_members WHERE user_id = ? AND lead = 1)`, userID)
}

// TeamsJoinedBy returns the teams the user is a member of, leading or not,
// ordered by slug; an empty list for a user in no team or unknown.
func (s *TeamAdminService) TeamsJoinedBy(ctx context.Context, userID int64) ([]*opslab.TeamSummary, error) {
	return s.summaries(ctx, "teams joined by user",
		`t.id IN (SELECT team_id FROM team_members WHERE user_id = ?)`, userID)
}

// FindTeamSummary returns the team with the slug, or ENOTFOUND.
func (s *TeamAdminService) FindTeamSummary(ctx context.Context, slug string) (*opslab.TeamSummary, error) {
	teams, err := s.summaries(ctx, "find team", `t.slug = ?`, slug)
	if err != nil {
		return nil, err
	}
	if len(teams) == 0 {
		return nil, opslab.Errorf(opslab.ENOTFOUND, "There is no team %s.", slug)
	}
	return teams[0], nil
}

// summaries reads the teams that match where (a condition on teams t)
// in one read transaction.
func (s *TeamAdminService) summaries(ctx context.Context, op, where string, args ...any) ([]*opslab.TeamSummary, error) {
	tx, err := s.db.beginRead(ctx)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	defer tx.Rollback()
	teams, err := findTeamSummaries(ctx, tx, where, args...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	return teams, nil
}

// CreateTeamWithLeads creates the team and makes every named account one of
// its leads, in one transaction: on any error nothing is stored. A learner
// named lead gets the lead role; other roles are kept. It returns EINVALID
// for a bad slug, name or email, ECONFLICT for a taken slug and ENOTFOUND
// naming the first email without an account.
func (s *TeamAdminService) CreateTeamWithLeads(ctx context.Context, n opslab.NewTeam) (*opslab.TeamSummary, error) {
	n.Normalize()
	if err := n.Validate(); err != nil {
		return nil, err
	}
	tx, err := s.db.begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("create team: %w", err)
	}
	defer tx.Rollback()
	team, err := createTeam(ctx, tx, n.Slug, n.Name)
	if err != nil {
		return nil, wrap("create team", err)
	}
	for _, email := range n.LeadEmails {
		u, err := findAccount(ctx, tx, email)
		if err != nil {
			return nil, wrap("create team", err)
		}
		if err := joinTeam(ctx, tx, team.ID, u, true); err != nil {
			return nil, fmt.Errorf("create team: %w", err)
		}
	}
	teams, err := findTeamSummaries(ctx, tx, `t.id = ?`, team.ID)
	if err != nil {
		return nil, fmt.Errorf("create team: read back: %w", err)
	}
	if err := tx.commit("create team"); err != nil {
		return nil, err
	}
	return teams[0], nil
}

// AddMemberByEmail puts the account with the email (in any letter case) in
// the team. A new member joins now; an existing one keeps their join time
// and is never demoted, and lead promotes them. A learner made lead gets
// the lead role. It returns EINVALID for a malformed email and ENOTFOUND for
// an unknown team or an email without an account.
func (s *TeamAdminService) AddMemberByEmail(ctx context.Context, teamID int64, email string, lead bool) (*opslab.Membership, bool, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	if err := opslab.ValidateEmail(email); err != nil {
		return nil, false, err
	}
	tx, err := s.db.begin(ctx)
	if err != nil {
		return nil, false, fmt.Errorf("add member: %w", err)
	}
	defer tx.Rollback()
	if _, err := findTeamByID(ctx, tx, teamID); err != nil {
		return nil, false, wrap("add member", err)
	}
	u, err := findAccount(ctx, tx, email)
	if err != nil {
		return nil, false, wrap("add member", err)
	}
	_, err = findMembership(ctx, tx, teamID, u.ID)
	added := opslab.ErrorCode(err) == opslab.ENOTFOUND
	if err != nil && !added {
		return nil, false, fmt.Errorf("add member: %w", err)
	}
	if err := joinTeam(ctx, tx, teamID, u, lead); err != nil {
		return nil, false, fmt.Errorf("add member: %w", err)
	}
	m, err := findMembership(ctx, tx, teamID, u.ID)
	if err != nil {
		return nil, false, fmt.Errorf("add member: read back: %w", err)
	}
	if err := tx.commit("add member"); err != nil {
		return nil, false, err
	}
	return m, added, nil
}

// Membership returns the user's place in the team, or ENOTFOUND if they are
// not a member (or either does not exist).
func (s *TeamAdminService) Membership(ctx context.Context, teamID, userID int64) (*opslab.Membership, error) {
	tx, err := s.db.beginRead(ctx)
	if err != nil {
		return nil, fmt.Errorf("membership: %w", err)
	}
	defer tx.Rollback()
	m, err := findMembership(ctx, tx, teamID, userID)
	if err != nil {
		return nil, wrap("membership", err)
	}
	return m, nil
}

// RemoveMember takes the user out of the team; their progress stays. It
// returns ENOTFOUND if they are not a member.
func (s *TeamAdminService) RemoveMember(ctx context.Context, teamID, userID int64) error {
	tx, err := s.db.begin(ctx)
	if err != nil {
		return fmt.Errorf("remove member: %w", err)
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `DELETE FROM team_members WHERE team_id = ? AND user_id = ?`, teamID, userID)
	if err != nil {
		return fmt.Errorf("remove member: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("remove member: %w", err)
	} else if n == 0 {
		return errNotMember()
	}
	return tx.commit("remove member")
}

// RenameTeam sets the team's display name, trimmed. It returns EINVALID for
// an empty name or one over opslab.MaxTeamNameLength characters, and
// ENOTFOUND for an unknown team.
func (s *TeamAdminService) RenameTeam(ctx context.Context, teamID int64, name string) error {
	name = strings.TrimSpace(name)
	if err := opslab.ValidateTeamName(name); err != nil {
		return err
	}
	tx, err := s.db.begin(ctx)
	if err != nil {
		return fmt.Errorf("rename team: %w", err)
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `UPDATE teams SET name = ? WHERE id = ?`, name, teamID)
	if err != nil {
		return fmt.Errorf("rename team: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("rename team: %w", err)
	} else if n == 0 {
		return opslab.Errorf(opslab.ENOTFOUND, "There is no team with id %d.", teamID)
	}
	return tx.commit("rename team")
}

// TeamRoster returns the team's members, leads first, each group ordered
// by email. It returns ENOTFOUND for an unknown team.
func (s *TeamAdminService) TeamRoster(ctx context.Context, teamID int64) ([]*opslab.Membership, error) {
	tx, err := s.db.beginRead(ctx)
	if err != nil {
		return nil, fmt.Errorf("team roster: %w", err)
	}
	defer tx.Rollback()
	if _, err := findTeamByID(ctx, tx, teamID); err != nil {
		return nil, wrap("team roster", err)
	}
	rows, err := tx.QueryContext(ctx, `
		SELECT `+userColumns+`, m.lead, m.joined_at
		FROM users JOIN team_members m ON m.user_id = users.id
		WHERE m.team_id = ? ORDER BY m.lead DESC, users.email`, teamID)
	if err != nil {
		return nil, fmt.Errorf("team roster: %w", err)
	}
	defer rows.Close()
	out := []*opslab.Membership{}
	for rows.Next() {
		m, err := scanMembership(rows)
		if err != nil {
			return nil, fmt.Errorf("team roster: %w", err)
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("team roster: %w", err)
	}
	return out, nil
}

// errNotMember is the error for a user who is not in the team.
func errNotMember() error {
	return opslab.Errorf(opslab.ENOTFOUND, "This user is not a member of the team.")
}

// findAccount returns the user with the email, or ENOTFOUND naming it.
func findAccount(ctx context.Context, tx *tx, email string) (*opslab.User, error) {
	u, _, err := findUserByEmail(ctx, tx, email)
	if opslab.ErrorCode(err) == opslab.ENOTFOUND {
		return nil, opslab.Errorf(opslab.ENOTFOUND, "There is no account with the email %s.", email)
	}
	return u, err
}

// joinTeam makes u a member of the team, or updates their membership: lead
// promotes, and nothing demotes. A learner made lead gets the lead role.
func joinTeam(ctx context.Context, tx *tx, teamID int64, u *opslab.User, lead bool) error {
	_, err := tx.ExecContext(ctx, `
		INSERT INTO team_members (team_id, user_id, lead, joined_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (team_id, user_id) DO UPDATE SET lead = max(lead, excluded.lead)`,
		teamID, u.ID, lead, formatTime(tx.now))
	if err != nil {
		return fmt.Errorf("insert team member: %w", err)
	}
	if lead && u.Role == opslab.RoleLearner {
		if _, err := tx.ExecContext(ctx, `UPDATE users SET role = ? WHERE id = ? AND role = ?`,
			string(opslab.RoleLead), u.ID, string(opslab.RoleLearner)); err != nil {
			return fmt.Errorf("give the lead role: %w", err)
		}
	}
	return nil
}

// findMembership returns the user's place in the team, or ENOTFOUND.
func findMembership(ctx context.Context, tx *tx, teamID, userID int64) (*opslab.Membership, error) {
	m, err := scanMembership(tx.QueryRowContext(ctx, `
		SELECT `+userColumns+`, m.lead, m.joined_at
		FROM users JOIN team_members m ON m.user_id = users.id
		WHERE m.team_id = ? AND m.user_id = ?`, teamID, userID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errNotMember()
	} else if err != nil {
		return nil, fmt.Errorf("query membership: %w", err)
	}
	return m, nil
}

func scanMembership(row scanner) (*opslab.Membership, error) {
	var lead bool
	var joined string
	u, err := scanUser(row, &lead, &joined)
	if err != nil {
		return nil, err
	}
	m := &opslab.Membership{User: u, Lead: lead}
	if m.JoinedAt, err = parseTime(joined); err != nil {
		return nil, err
	}
	return m, nil
}

// teamName returns the display name of the team with the id.
func teamName(ctx context.Context, tx *tx, teamID int64) (string, error) {
	var name string
	if err := tx.QueryRowContext(ctx, `SELECT name FROM teams WHERE id = ?`, teamID).Scan(&name); err != nil {
		return "", fmt.Errorf("query team name: %w", err)
	}
	return name, nil
}

// findTeamSummaries returns the teams that match where (a condition on
// teams t, with args), ordered by slug, with their leads and learner counts.
func findTeamSummaries(ctx context.Context, tx *tx, where string, args ...any) ([]*opslab.TeamSummary, error) {
	rows, err := tx.QueryContext(ctx, `
		SELECT t.id, t.slug, t.name, t.created_at,
			(SELECT COUNT(*) FROM team_members m WHERE m.team_id = t.id AND m.lead = 0)
		FROM teams t WHERE `+where+` ORDER BY t.slug`, args...)
	if err != nil {
		return nil, fmt.Errorf("query teams: %w", err)
	}
	defer rows.Close()
	teams := []*opslab.TeamSummary{}
	byID := map[int64]*opslab.TeamSummary{}
	for rows.Next() {
		t := &opslab.TeamSummary{Leads: []*opslab.User{}}
		var created string
		if err := rows.Scan(&t.ID, &t.Slug, &t.Name, &created, &t.Learners); err != nil {
			return nil, fmt.Errorf("scan team: %w", err)
		}
		if t.CreatedAt, err = parseTime(created); err != nil {
			return nil, err
		}
		teams = append(teams, t)
		byID[t.ID] = t
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("query teams: %w", err)
	}
	rows.Close()
	if len(teams) == 0 {
		return teams, nil
	}

	leads, err := tx.QueryContext(ctx, `
		SELECT `+userColumns+`, m.team_id
		FROM users JOIN team_members m ON m.user_id = users.id
		WHERE m.lead = 1 AND m.team_id IN (SELECT t.id FROM teams t WHERE `+where+`)
		ORDER BY users.email`, args...)
	if err != nil {
		return nil, fmt.Errorf("query team leads: %w", err)
	}
	defer leads.Close()
	for leads.Next() {
		var teamID int64
		u, err := scanUser(leads, &teamID)
		if err != nil {
			return nil, fmt.Errorf("scan team lead: %w", err)
		}
		if t := byID[teamID]; t != nil {
			t.Leads = append(t.Leads, u)
		}
	}
	if err := leads.Err(); err != nil {
		return nil, fmt.Errorf("query team leads: %w", err)
	}
	return teams, nil
}
