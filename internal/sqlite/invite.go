package sqlite

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/mattn/go-sqlite3"

	"github.com/opslab/opslab/internal/opslab"
)

// inviteTokenBytes is the randomness in an invite token: 256 bits, written
// as 43 characters of unpadded base64url.
const inviteTokenBytes = 32

// InviteService stores team invite links. It implements
// opslab.InviteService.
type InviteService struct {
	db *DB
}

var _ opslab.InviteService = (*InviteService)(nil)

// NewInviteService returns an InviteService over db.
func NewInviteService(db *DB) *InviteService {
	return &InviteService{db: db}
}

// hashInviteToken returns the stored form of a token: its SHA-256 in hex.
func hashInviteToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// newInviteToken returns a fresh random token.
func newInviteToken() (string, error) {
	b := make([]byte, inviteTokenBytes)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("make invite token: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// wellFormedToken reports whether s could be a token this service made, so
// that junk is refused without a query.
func wellFormedToken(s string) bool {
	if len(s) != base64.RawURLEncoding.EncodedLen(inviteTokenBytes) {
		return false
	}
	_, err := base64.RawURLEncoding.DecodeString(s)
	return err == nil
}

// CreateInvite makes a link for the team that works for n.TTL from now
// (by db.Now) and lets n.MaxUses users join, and returns it with its token.
// Only the token's SHA-256 is stored. It returns EINVALID for bad input and
// ENOTFOUND for an unknown team or maker.
func (s *InviteService) CreateInvite(ctx context.Context, n opslab.NewInvite) (*opslab.Invite, string, error) {
	n.Normalize()
	if err := n.Validate(); err != nil {
		return nil, "", err
	}
	token, err := newInviteToken()
	if err != nil {
		return nil, "", err
	}

	tx, err := s.db.begin(ctx)
	if err != nil {
		return nil, "", fmt.Errorf("create invite: %w", err)
	}
	defer tx.Rollback()
	team, err := findTeamByID(ctx, tx, n.TeamID)
	if err != nil {
		return nil, "", wrap("create invite", err)
	}
	var createdBy sql.NullInt64
	if n.CreatedBy != 0 {
		if _, err := findUserByID(ctx, tx, n.CreatedBy); err != nil {
			return nil, "", wrap("create invite", err)
		}
		createdBy = sql.NullInt64{Int64: n.CreatedBy, Valid: true}
	}
	inv := &opslab.Invite{TeamID: team.ID, TeamSlug: team.Slug, CreatedBy: n.CreatedBy,
		CreatedAt: tx.now, ExpiresAt: tx.now.Add(n.TTL), MaxUses: n.MaxUses}
	if inv.TeamName, err = teamName(ctx, tx, team.ID); err != nil {
		return nil, "", fmt.Errorf("create invite: %w", err)
	}
	res, err := tx.ExecContext(ctx, `
		INSERT INTO team_invites (team_id, token_hash, created_by, created_at, expires_at, max_uses)
		VALUES (?, ?, ?, ?, ?, ?)`,
		team.ID, hashInviteToken(token), createdBy, formatTime(inv.CreatedAt), formatTime(inv.ExpiresAt), inv.MaxUses)
	if isConstraint(err, sqlite3.ErrConstraintUnique) {
		// 256 random bits do not collide; a clash means a broken generator.
		return nil, "", fmt.Errorf("create invite: token collision")
	} else if err != nil {
		return nil, "", fmt.Errorf("create invite: %w", err)
	}
	if inv.ID, err = res.LastInsertId(); err != nil {
		return nil, "", fmt.Errorf("create invite: %w", err)
	}
	if err := tx.commit("create invite"); err != nil {
		return nil, "", err
	}
	return inv, token, nil
}

// FindInvite returns the link whose token this is, in whatever state, or
// opslab.ErrInviteNotFound.
func (s *InviteService) FindInvite(ctx context.Context, token string) (*opslab.Invite, error) {
	if !wellFormedToken(token) {
		return nil, opslab.ErrInviteNotFound()
	}
	tx, err := s.db.beginRead(ctx)
	if err != nil {
		return nil, fmt.Errorf("find invite: %w", err)
	}
	defer tx.Rollback()
	inv, err := findInviteByHash(ctx, tx, hashInviteToken(token))
	if err != nil {
		return nil, wrap("find invite", err)
	}
	return inv, nil
}

// AcceptInvite puts the user in the link's team as a learner and counts a
// use, in one transaction, so that two users racing for the last use of a
// link cannot both get in. A user who is already a member keeps their place
// (a lead stays a lead) and uses nothing. It returns
// opslab.ErrInviteNotFound for an unknown token, the link's Usable error
// when it is revoked, expired (by db.Now) or used up, and ENOTFOUND for an
// unknown user.
func (s *InviteService) AcceptInvite(ctx context.Context, token string, userID int64) (*opslab.Invite, bool, error) {
	if !wellFormedToken(token) {
		return nil, false, opslab.ErrInviteNotFound()
	}
	tx, err := s.db.begin(ctx)
	if err != nil {
		return nil, false, fmt.Errorf("accept invite: %w", err)
	}
	defer tx.Rollback()
	inv, err := findInviteByHash(ctx, tx, hashInviteToken(token))
	if err != nil {
		return nil, false, wrap("accept invite", err)
	}
	if _, err := findUserByID(ctx, tx, userID); err != nil {
		return nil, false, wrap("accept invite", err)
	}
	if _, err := findMembership(ctx, tx, inv.TeamID, userID); err == nil {
		return inv, false, nil
	} else if opslab.ErrorCode(err) != opslab.ENOTFOUND {
		return nil, false, fmt.Errorf("accept invite: %w", err)
	}
	if err := inv.Usable(tx.now); err != nil {
		return nil, false, err
	}
	if _, err := tx.ExecContext(ctx, `
		INSERT INTO team_members (team_id, user_id, lead, joined_at) VALUES (?, ?, 0, ?)`,
		inv.TeamID, userID, formatTime(tx.now)); err != nil {
		return nil, false, fmt.Errorf("accept invite: join team: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE team_invites SET uses = uses + 1 WHERE id = ?`, inv.ID); err != nil {
		return nil, false, fmt.Errorf("accept invite: count use: %w", err)
	}
	inv.Uses++
	if err := tx.commit("accept invite"); err != nil {
		return nil, false, err
	}
	return inv, true, nil
}

// RevokeInvite stops the team's link from working from now on; a link
// already revoked keeps its first revocation time. It returns ENOTFOUND
// unless a link with the id belongs to the team.
func (s *InviteService) RevokeInvite(ctx context.Context, teamID, inviteID int64) error {
	tx, err := s.db.begin(ctx)
	if err != nil {
		return fmt.Errorf("revoke invite: %w", err)
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `
		UPDATE team_invites SET revoked_at = COALESCE(revoked_at, ?)
		WHERE id = ? AND team_id = ?`, formatTime(tx.now), inviteID, teamID)
	if err != nil {
		return fmt.Errorf("revoke invite: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("revoke invite: %w", err)
	} else if n == 0 {
		return opslab.Errorf(opslab.ENOTFOUND, "This team has no invite link with id %d.", inviteID)
	}
	return tx.commit("revoke invite")
}

// TeamInvites lists the team's links in every state, newest first; an
// empty list for a team without any. It returns ENOTFOUND for an unknown
// team.
func (s *InviteService) TeamInvites(ctx context.Context, teamID int64) ([]*opslab.Invite, error) {
	tx, err := s.db.beginRead(ctx)
	if err != nil {
		return nil, fmt.Errorf("team invites: %w", err)
	}
	defer tx.Rollback()
	if _, err := findTeamByID(ctx, tx, teamID); err != nil {
		return nil, wrap("team invites", err)
	}
	rows, err := tx.QueryContext(ctx, `SELECT `+inviteColumns+` WHERE i.team_id = ? ORDER BY i.id DESC`, teamID)
	if err != nil {
		return nil, fmt.Errorf("team invites: %w", err)
	}
	defer rows.Close()
	out := []*opslab.Invite{}
	for rows.Next() {
		inv, err := scanInvite(rows)
		if err != nil {
			return nil, fmt.Errorf("team invites: %w", err)
		}
		out = append(out, inv)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("team invites: %w", err)
	}
	return out, nil
}

// inviteColumns selects what scanInvite reads, from team_invites i joined
// with its team t; the caller appends WHERE and ORDER BY.
const inviteColumns = `i.id, i.team_id, t.slug, t.name, i.created_by, i.created_at, i.expires_at,
	i.max_uses, i.uses, i.revoked_at
	FROM team_invites i JOIN teams t ON t.id = i.team_id`

func scanInvite(row scanner) (*opslab.Invite, error) {
	var inv opslab.Invite
	var createdBy sql.NullInt64
	var created, expires string
	var revoked sql.NullString
	if err := row.Scan(&inv.ID, &inv.TeamID, &inv.TeamSlug, &inv.TeamName, &createdBy, &created, &expires,
		&inv.MaxUses, &inv.Uses, &revoked); err != nil {
		return nil, err
	}
	inv.CreatedBy = createdBy.Int64
	var err error
	if inv.CreatedAt, err = parseTime(created); err != nil {
		return nil, err
	}
	if inv.ExpiresAt, err = parseTime(expires); err != nil {
		return nil, err
	}
	if inv.RevokedAt, err = parseNullTime(revoked); err != nil {
		return nil, err
	}
	return &inv, nil
}

// findInviteByHash returns the link with the token hash, or
// opslab.ErrInviteNotFound.
func findInviteByHash(ctx context.Context, tx *tx, hash string) (*opslab.Invite, error) {
	inv, err := scanInvite(tx.QueryRowContext(ctx, `SELECT `+inviteColumns+` WHERE i.token_hash = ?`, hash))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, opslab.ErrInviteNotFound()
	} else if err != nil {
		return nil, fmt.Errorf("query invite: %w", err)
	}
	return inv, nil
}
