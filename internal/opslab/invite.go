package opslab

import (
	"context"
	"time"
)

// Invite link limits.
const (
	// DefaultInviteTTL is how long an invite link works when its maker does
	// not say.
	DefaultInviteTTL = 7 * 24 * time.Hour
	// MaxInviteTTL is the longest an invite link may work.
	MaxInviteTTL = 30 * 24 * time.Hour
	// MaxInviteUses is the most learners one link may let in.
	MaxInviteUses = 1000
)

// Invite is a link that lets signed-in users join one team as learners.
// The token in the link is never stored, only its SHA-256.
type Invite struct {
	ID       int64
	TeamID   int64
	TeamSlug string
	TeamName string
	// CreatedBy is the user who made the link; 0 once that user is deleted.
	CreatedBy int64
	CreatedAt time.Time
	ExpiresAt time.Time
	// MaxUses is how many users may join with the link; Uses how many did.
	MaxUses int
	Uses    int
	// RevokedAt is nil unless the link was revoked.
	RevokedAt *time.Time
}

// InviteState says whether an invite link can still be used.
type InviteState string

// The invite states, in the order State checks them.
const (
	InviteRevoked InviteState = "revoked"
	InviteExpired InviteState = "expired"
	InviteUsedUp  InviteState = "used_up"
	InviteActive  InviteState = "active"
)

// State returns the invite's state at now: revoked, then expired (at or
// after ExpiresAt), then used up, else active.
func (i *Invite) State(now time.Time) InviteState {
	switch {
	case i.RevokedAt != nil:
		return InviteRevoked
	case !now.Before(i.ExpiresAt):
		return InviteExpired
	case i.Uses >= i.MaxUses:
		return InviteUsedUp
	}
	return InviteActive
}

// Usable returns nil if the link can be used at now, and otherwise
// ENOTFOUND with a sentence saying why not, for the person who opened it.
func (i *Invite) Usable(now time.Time) error {
	switch i.State(now) {
	case InviteRevoked:
		return Errorf(ENOTFOUND, "This invite link was revoked. Ask your team lead for a new one.")
	case InviteExpired:
		return Errorf(ENOTFOUND, "This invite link expired on %s. Ask your team lead for a new one.", i.ExpiresAt.UTC().Format("2 January 2006 at 15:04 UTC"))
	case InviteUsedUp:
		return Errorf(ENOTFOUND, "This invite link has already been used. Ask your team lead for a new one.")
	}
	return nil
}

// ErrInviteNotFound is the error for a token that matches no link.
func ErrInviteNotFound() *Error {
	return Errorf(ENOTFOUND, "This invite link is not valid: check that it was copied whole, or ask your team lead for a new one.")
}

// NewInvite is the input to make an invite link.
type NewInvite struct {
	TeamID    int64
	CreatedBy int64
	// TTL is how long the link works; 0 means DefaultInviteTTL.
	TTL time.Duration
	// MaxUses is how many users may join with it; 0 means 1.
	MaxUses int
}

// Normalize fills in the defaults.
func (n *NewInvite) Normalize() {
	if n.TTL == 0 {
		n.TTL = DefaultInviteTTL
	}
	if n.MaxUses == 0 {
		n.MaxUses = 1
	}
}

// Validate returns EINVALID for a lifetime outside one hour to
// MaxInviteTTL or a use count outside 1 to MaxInviteUses.
func (n *NewInvite) Validate() error {
	if n.TTL < time.Hour || n.TTL > MaxInviteTTL {
		return Errorf(EINVALID, "An invite link works for 1 hour to %d days.", int(MaxInviteTTL/(24*time.Hour)))
	}
	if n.MaxUses < 1 || n.MaxUses > MaxInviteUses {
		return Errorf(EINVALID, "An invite link lets 1 to %d people join.", MaxInviteUses)
	}
	return nil
}

// InviteService makes and redeems invite links.
type InviteService interface {
	// CreateInvite makes a link for the team and returns it with its token,
	// which is not stored and cannot be read again. It returns EINVALID for
	// bad input and ENOTFOUND for an unknown team.
	CreateInvite(ctx context.Context, n NewInvite) (*Invite, string, error)
	// FindInvite returns the link whose token this is, in any state, or
	// ErrInviteNotFound.
	FindInvite(ctx context.Context, token string) (*Invite, error)
	// AcceptInvite puts the user in the link's team as a learner and counts
	// one use. A user who is already a member (lead or not) stays as they
	// are and uses nothing; joined tells which happened. It returns
	// ErrInviteNotFound for an unknown token, the Usable error of a link
	// that is revoked, expired or used up, and ENOTFOUND for an unknown user.
	AcceptInvite(ctx context.Context, token string, userID int64) (inv *Invite, joined bool, err error)
	// RevokeInvite stops the team's link from working; revoking it again
	// changes nothing. It returns ENOTFOUND unless the link belongs to the team.
	RevokeInvite(ctx context.Context, teamID, inviteID int64) error
	// TeamInvites lists the team's links in every state, newest first.
	TeamInvites(ctx context.Context, teamID int64) ([]*Invite, error)
}
