package sqlite_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/opslab/opslab/internal/opslab"
	"github.com/opslab/opslab/internal/sqlite"
)

// emails returns the users' emails, in order.
func emails(users []*opslab.User) string {
	var out []string
	for _, u := range users {
		out = append(out, u.Email)
	}
	return strings.Join(out, ",")
}

// slugs returns the teams' slugs, in order.
func slugs(teams []*opslab.TeamSummary) string {
	var out []string
	for _, t := range teams {
		out = append(out, t.Slug)
	}
	return strings.Join(out, ",")
}

func TestTeamAdminService_CreateTeamWithLeads(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	s := sqlite.NewTeamAdminService(db)
	users := NewUserService(db)
	ann := MustCreateUser(t, db, "ann@example.com", opslab.RoleLearner, "")
	ivy := MustCreateUser(t, db, "ivy@example.com", opslab.RoleInstructor, "")

	t.Run("OK", func(t *testing.T) {
		team, err := s.CreateTeamWithLeads(ctx, opslab.NewTeam{Slug: " platform ", Name: " Platform Team ",
			LeadEmails: []string{"IVY@example.com", "ann@example.com", "", "ann@example.com"}})
		if err != nil {
			t.Fatal(err)
		}
		if team.ID == 0 || team.Slug != "platform" || team.Name != "Platform Team" || team.Learners != 0 {
			t.Fatalf("team = %+v", team)
		}
		if got := emails(team.Leads); got != "ann@example.com,ivy@example.com" {
			t.Fatalf("leads = %s", got)
		}
		// A learner named lead gets the lead role; an instructor keeps theirs.
		if u, _ := users.FindUserByID(ctx, ann.ID); u.Role != opslab.RoleLead {
			t.Errorf("ann's role = %s, want lead", u.Role)
		}
		if u, _ := users.FindUserByID(ctx, ivy.ID); u.Role != opslab.RoleInstructor {
			t.Errorf("ivy's role = %s, want instructor", u.Role)
		}
		if lead, err := sqlite.NewTeamService(db).IsLead(ctx, team.ID, ivy.ID); err != nil || !lead {
			t.Errorf("IsLead(ivy) = %v, %v", lead, err)
		}
	})
	t.Run("NameDefaultsToSlug", func(t *testing.T) {
		team, err := s.CreateTeamWithLeads(ctx, opslab.NewTeam{Slug: "bare"})
		if err != nil || team.Name != "bare" || len(team.Leads) != 0 {
			t.Fatalf("team = %+v, %v", team, err)
		}
	})
	t.Run("ErrConflict", func(t *testing.T) {
		_, err := s.CreateTeamWithLeads(ctx, opslab.NewTeam{Slug: "platform"})
		AssertCode(t, err, opslab.ECONFLICT)
	})
	t.Run("ErrInvalid", func(t *testing.T) {
		for _, n := range []opslab.NewTeam{
			{Slug: "Not A Slug"},
			{Slug: ""},
			{Slug: "ok", Name: strings.Repeat("n", 101)},
			{Slug: "ok", LeadEmails: []string{"not an email"}},
		} {
			_, err := s.CreateTeamWithLeads(ctx, n)
			AssertCode(t, err, opslab.EINVALID)
		}
	})
	t.Run("ErrNotFoundStoresNothing", func(t *testing.T) {
		_, err := s.CreateTeamWithLeads(ctx, opslab.NewTeam{Slug: "ghosts", LeadEmails: []string{"ann@example.com", "nobody@example.com"}})
		AssertCode(t, err, opslab.ENOTFOUND)
		if !strings.Contains(opslab.ErrorMessage(err), "nobody@example.com") {
			t.Errorf("message %q does not name the email", opslab.ErrorMessage(err))
		}
		_, err = s.FindTeamSummary(ctx, "ghosts")
		AssertCode(t, err, opslab.ENOTFOUND)
	})
}

func TestTeamAdminService_Members(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	clk := NewClock()
	db.Now = clk.Now
	s := sqlite.NewTeamAdminService(db)
	users := NewUserService(db)
	lea := MustCreateUser(t, db, "lea@example.com", opslab.RoleLead, "ops")
	ann := MustCreateUser(t, db, "ann@example.com", opslab.RoleLearner, "")
	bob := MustCreateUser(t, db, "bob@example.com", opslab.RoleLearner, "")
	team, err := s.FindTeamSummary(ctx, "ops")
	if err != nil {
		t.Fatal(err)
	}
	joined := clk.Now()

	t.Run("Add", func(t *testing.T) {
		m, added, err := s.AddMemberByEmail(ctx, team.ID, " ANN@Example.com ", false)
		if err != nil || !added || m.User.ID != ann.ID || m.Lead || !m.JoinedAt.Equal(joined) {
			t.Fatalf("add ann = %+v, %v, %v", m, added, err)
		}
		clk.Add(time.Hour)
		m, added, err = s.AddMemberByEmail(ctx, team.ID, "ann@example.com", false)
		if err != nil || added || !m.JoinedAt.Equal(joined) {
			t.Fatalf("add ann again = %+v, %v, %v; want no change", m, added, err)
		}
	})
	t.Run("PromoteNeverDemote", func(t *testing.T) {
		m, added, err := s.AddMemberByEmail(ctx, team.ID, "ann@example.com", true)
		if err != nil || added || !m.Lead || !m.JoinedAt.Equal(joined) {
			t.Fatalf("promote ann = %+v, %v, %v", m, added, err)
		}
		if u, _ := users.FindUserByID(ctx, ann.ID); u.Role != opslab.RoleLead {
			t.Errorf("ann's role = %s, want lead", u.Role)
		}
		m, _, err = s.AddMemberByEmail(ctx, team.ID, "ann@example.com", false)
		if err != nil || !m.Lead {
			t.Fatalf("adding a lead as a learner demoted them: %+v, %v", m, err)
		}
	})
	t.Run("Roster", func(t *testing.T) {
		if _, _, err := s.AddMemberByEmail(ctx, team.ID, "bob@example.com", false); err != nil {
			t.Fatal(err)
		}
		roster, err := s.TeamRoster(ctx, team.ID)
		if err != nil || len(roster) != 3 {
			t.Fatalf("roster = %+v, %v", roster, err)
		}
		got := []string{}
		for _, m := range roster {
			got = append(got, m.User.Email+map[bool]string{true: ":lead", false: ""}[m.Lead])
		}
		if strings.Join(got, ",") != "ann@example.com:lead,lea@example.com:lead,bob@example.com" {
			t.Fatalf("roster order = %v, want leads first, then by email", got)
		}
		sum, err := s.FindTeamSummary(ctx, "ops")
		if err != nil || sum.Learners != 1 || emails(sum.Leads) != "ann@example.com,lea@example.com" {
			t.Fatalf("summary = %+v, %v", sum, err)
		}
	})
	t.Run("Remove", func(t *testing.T) {
		if err := s.RemoveMember(ctx, team.ID, bob.ID); err != nil {
			t.Fatal(err)
		}
		_, err := s.Membership(ctx, team.ID, bob.ID)
		AssertCode(t, err, opslab.ENOTFOUND)
		AssertCode(t, s.RemoveMember(ctx, team.ID, bob.ID), opslab.ENOTFOUND)
		AssertCode(t, s.RemoveMember(ctx, 999, lea.ID), opslab.ENOTFOUND)
	})
	t.Run("ErrAdd", func(t *testing.T) {
		_, _, err := s.AddMemberByEmail(ctx, team.ID, "not-an-email", false)
		AssertCode(t, err, opslab.EINVALID)
		_, _, err = s.AddMemberByEmail(ctx, team.ID, "nobody@example.com", false)
		AssertCode(t, err, opslab.ENOTFOUND)
		_, _, err = s.AddMemberByEmail(ctx, 999, "bob@example.com", false)
		AssertCode(t, err, opslab.ENOTFOUND)
		_, err = s.TeamRoster(ctx, 999)
		AssertCode(t, err, opslab.ENOTFOUND)
	})
	t.Run("Rename", func(t *testing.T) {
		if err := s.RenameTeam(ctx, team.ID, "  Operations  "); err != nil {
			t.Fatal(err)
		}
		if sum, _ := s.FindTeamSummary(ctx, "ops"); sum.Name != "Operations" {
			t.Fatalf("name = %q", sum.Name)
		}
		AssertCode(t, s.RenameTeam(ctx, team.ID, "   "), opslab.EINVALID)
		AssertCode(t, s.RenameTeam(ctx, team.ID, strings.Repeat("é", 101)), opslab.EINVALID)
		AssertCode(t, s.RenameTeam(ctx, 999, "x"), opslab.ENOTFOUND)
	})
}

func TestTeamAdminService_Lists(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	s := sqlite.NewTeamAdminService(db)
	if teams, err := s.ListTeams(ctx); err != nil || len(teams) != 0 {
		t.Fatalf("no teams yet: %v, %v", teams, err)
	}
	lea := MustCreateUser(t, db, "lea@example.com", opslab.RoleLead, "zeta")
	ann := MustCreateUser(t, db, "ann@example.com", opslab.RoleLearner, "alpha")
	MustCreateUser(t, db, "lou@example.com", opslab.RoleLead, "alpha")
	if _, _, err := s.AddMemberByEmail(ctx, mustTeamID(t, s, "alpha"), "lea@example.com", true); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.AddMemberByEmail(ctx, mustTeamID(t, s, "zeta"), "ann@example.com", false); err != nil {
		t.Fatal(err)
	}
	MustCreateUser(t, db, "cid@example.com", opslab.RoleLearner, "mid")

	all, err := s.ListTeams(ctx)
	if err != nil || slugs(all) != "alpha,mid,zeta" {
		t.Fatalf("ListTeams = %s, %v", slugs(all), err)
	}
	if emails(all[0].Leads) != "lea@example.com,lou@example.com" || all[0].Learners != 1 || len(all[1].Leads) != 0 {
		t.Fatalf("alpha = %+v, mid = %+v", all[0], all[1])
	}
	led, err := s.TeamsLedBy(ctx, lea.ID)
	if err != nil || slugs(led) != "alpha,zeta" || emails(led[0].Leads) != "lea@example.com,lou@example.com" {
		t.Fatalf("TeamsLedBy(lea) = %s, %v", slugs(led), err)
	}
	if led, err := s.TeamsLedBy(ctx, ann.ID); err != nil || len(led) != 0 {
		t.Fatalf("TeamsLedBy(ann) = %s, %v", slugs(led), err)
	}
	// A learner may belong to several teams.
	joined, err := s.TeamsJoinedBy(ctx, ann.ID)
	if err != nil || slugs(joined) != "alpha,zeta" {
		t.Fatalf("TeamsJoinedBy(ann) = %s, %v", slugs(joined), err)
	}
	if joined, err := s.TeamsJoinedBy(ctx, 999); err != nil || len(joined) != 0 {
		t.Fatalf("TeamsJoinedBy(unknown) = %s, %v", slugs(joined), err)
	}
}

func mustTeamID(t *testing.T, s *sqlite.TeamAdminService, slug string) int64 {
	t.Helper()
	team, err := s.FindTeamSummary(context.Background(), slug)
	if err != nil {
		t.Fatal(err)
	}
	return team.ID
}
