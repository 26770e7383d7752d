package redisnode

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/opslab/opslab/internal/sandbox"
)

// A learner may create, change, show and delete Redis users of their own
// with ACL SETUSER, DELUSER and GETUSER, so that lessons on ACLs can be
// practised for real. Redis's ACL cannot restrict those subcommands by
// argument, so the learner account's ACL allows them and the platform
// checks every one before it is sent (CheckLearnerCommandCap):
//
//   - the sandbox's own accounts (reservedRedisUsers) are never changed,
//     shown or deleted;
//   - ACL SETUSER takes only the rules of an allow-list (checkACLSetUser);
//   - the rules, applied in order, must leave the user, and every selector
//     it gets, without any command of aclCeiling: the commands the learner's
//     client account may not run. A learner's own redis-cli could sign in
//     as a user they created, so such a user must never hold more than
//     that client does.
//
// By induction every user the learner created holds nothing of aclCeiling,
// so checking the rules of one ACL SETUSER from an empty start is enough.

// reservedRedisUsers are the accounts a Redis sandbox defines for itself
// (UserLines, and the multi-node kinds' ReplicationUser and
// SentinelUser). Compared case-insensitively, so "Admin" is refused too.
var reservedRedisUsers = []string{"default", AdminUser, LearnerUser, ClientUser, ReplicationUser, SentinelUser}

// aclSafeCategories are the categories "+@category" may grant: data types,
// reads and writes, pub/sub, transactions, connection handling and the
// speed classes. Never @all, @admin, @dangerous or @scripting. @write,
// @keyspace and @slow hold commands of aclCeiling, which the rules must
// then take away again (e.g. "-@dangerous").
var aclSafeCategories = []string{
	"read", "write", "keyspace", "string", "hash", "list", "set", "sortedset", "stream",
	"bitmap", "hyperloglog", "geo", "pubsub", "fast", "slow", "transaction", "connection", "blocking",
}

// aclCeiling maps each command (or command|subcommand) that a user the
// learner creates may never hold to its ACL categories in Redis 7.0, so
// that "+@slow" or "-@dangerous" can be followed through. It is what
// ClientACLRules denies: learnerDeniedCommands (MODULE by its
// subcommands, as Redis's categories list them) and the subcommands of
// ACL and CONFIG the client may not run. A test compares it with a real
// redis-server's categories.
var aclCeiling = func() map[string][]string {
	asd := []string{"admin", "slow", "dangerous"}
	m := map[string][]string{
		"migrate":     {"keyspace", "write", "slow", "dangerous"},
		"module|help": {"slow"},
	}
	for _, c := range []string{
		"debug", "shutdown", "replicaof", "slaveof", "sync", "psync", "replconf", "failover",
		"module|list", "module|load", "module|loadex", "module|unload",
		"acl|setuser", "acl|deluser", "acl|getuser", "acl|list", "acl|load", "acl|save",
		"config|set", "config|rewrite",
		// A redis-cluster node's client account has no CLUSTER MEET (it
		// names another server); a user the learner creates never does,
		// on any kind.
		"cluster|meet",
	} {
		m[c] = asd
	}
	return m
}()

// checkACLUserCommand checks ACL sub (already allowed by
// learnerSubcommands) with args, the arguments after the subcommand.
func checkACLUserCommand(sub string, args []string) error {
	switch sub {
	case "setuser":
		if len(args) == 0 {
			return nil // Redis answers the arity error itself
		}
		if err := checkNotReserved(sub, args[0]); err != nil {
			return err
		}
		return checkACLSetUser(args[0], args[1:])
	case "deluser":
		for _, u := range args {
			if err := checkNotReserved(sub, u); err != nil {
				return err
			}
		}
	case "getuser":
		if len(args) > 0 {
			return checkNotReserved(sub, args[0])
		}
	}
	return nil
}

func checkNotReserved(sub, user string) error {
	for _, r := range reservedRedisUsers {
		if strings.EqualFold(user, r) {
			return &sandbox.DeniedError{Reply: fmt.Sprintf(
				"ERR ACL %s may not touch '%s' in the sandbox: %s are the sandbox's own accounts; use a user of your own, such as 'app'",
				strings.ToUpper(sub), user, strings.Join(reservedRedisUsers, ", "))}
		}
	}
	return nil
}

func aclRuleDenied(rule, why string) error {
	return &sandbox.DeniedError{Reply: fmt.Sprintf("ERR ACL SETUSER rule '%s' is not allowed in the sandbox: %s", rule, why)}
}

// checkACLSetUser checks the rules of ACL SETUSER user rules...: each must
// be on the allow-list, and together they must grant nothing of aclCeiling,
// at the top level nor in any selector.
func checkACLSetUser(user string, rules []string) error {
	merged, err := mergeACLSelectors(rules)
	if err != nil {
		return err
	}
	root := aclGrants{}
	for _, r := range merged {
		if !strings.HasPrefix(r, "(") {
			if err := root.apply(r, false); err != nil {
				return err
			}
			continue
		}
		sel := aclGrants{}
		if inner := r[1 : len(r)-1]; inner != "" {
			for _, tok := range strings.Split(inner, " ") {
				if err := sel.apply(tok, true); err != nil {
					return err
				}
			}
		}
		if err := sel.ceiling(user, "the selector "+r); err != nil {
			return err
		}
	}
	return root.ceiling(user, "")
}

// mergeACLSelectors joins the arguments of a selector written over several
// arguments, "(~k*" "+get)", into one, "(~k* +get)", exactly as Redis does
// before it applies the rules: an argument starting with "(" and not
// ending with ")" opens a selector, which the first argument ending with
// ")" closes.
func mergeACLSelectors(args []string) ([]string, error) {
	var out []string
	open := -1
	var sel string
	for j, a := range args {
		if a == "" {
			return nil, aclRuleDenied(a, "a rule cannot be empty")
		}
		if open < 0 && a[0] == '(' && a[len(a)-1] != ')' {
			open, sel = j, a
			continue
		}
		if open >= 0 {
			sel += " " + a
			if a[len(a)-1] == ')' {
				out, open = append(out, sel), -1
			}
			continue
		}
		out = append(out, a)
	}
	if open >= 0 {
		return nil, &sandbox.DeniedError{Reply: fmt.Sprintf("ERR Unmatched parenthesis in acl selector starting at '%s'.", args[open])}
	}
	return out, nil
}

// aclGrants follows which aclCeiling entries a user, or one selector,
// would hold after its rules so far.
type aclGrants map[string]bool

func (g aclGrants) set(match func(item string, cats []string) bool, on bool) {
	for item, cats := range aclCeiling {
		if match(item, cats) {
			g[item] = on
		}
	}
}

// apply checks one rule against the allow-list and follows its effect on
// the ceiling. inSelector limits the rules to those a selector takes.
func (g aclGrants) apply(rule string, inSelector bool) error {
	lower := strings.ToLower(rule)
	if rule == "" {
		return aclRuleDenied(rule, "a rule cannot be empty")
	}
	if inSelector && strings.ContainsAny(rule, "()") {
		return aclRuleDenied(rule, "selectors cannot be nested")
	}
	if !strings.HasPrefix(rule, ">") && !strings.HasPrefix(rule, "<") && strings.ContainsAny(rule, " \t\r\n\x00") {
		return aclRuleDenied(rule, "a rule holds no blanks (quote a selector as a whole: \"(~k* +get)\")")
	}
	switch lower {
	case "on", "off", "nopass", "resetpass", "clearselectors", "sanitize-payload":
		if inSelector {
			return aclRuleDenied(rule, "a selector takes only key, channel and command rules")
		}
		return nil
	case "reset":
		if inSelector {
			return aclRuleDenied(rule, "a selector takes only key, channel and command rules")
		}
		clear(g)
		return nil
	case "allkeys", "resetkeys", "allchannels", "resetchannels":
		return nil
	case "nocommands", "-@all":
		g.set(func(string, []string) bool { return true }, false)
		return nil
	case "allcommands", "+@all":
		return aclRuleDenied(rule, "a sandbox user may not run every command; grant categories such as +@read +@write, then take -@dangerous away")
	case "skip-sanitize-payload":
		return aclRuleDenied(rule, "RESTORE payloads are always checked in the sandbox")
	}
	switch rule[0] {
	case '>', '<', '#', '!':
		if inSelector {
			return aclRuleDenied(rule, "a selector takes only key, channel and command rules")
		}
		return nil
	case '~', '&':
		return nil
	case '%':
		flags, _, ok := strings.Cut(lower[1:], "~")
		if !ok || flags == "" || strings.Trim(flags, "rw") != "" {
			return aclRuleDenied(rule, "a key permission is written %R~pattern, %W~pattern or %RW~pattern")
		}
		return nil
	case '+', '-':
		return g.applyCommand(rule, lower)
	}
	return aclRuleDenied(rule, "the sandbox takes on, off, >password, <password, #hash, !hash, nopass, resetpass, reset, ~pattern, %R~ %W~ %RW~ patterns, allkeys, resetkeys, &pattern, allchannels, resetchannels, nocommands, +/-@category, +/-command, +/-command|subcommand, clearselectors and (selectors)")
}

// applyCommand handles +@cat, -@cat, +cmd, -cmd, +cmd|sub and -cmd|sub.
func (g aclGrants) applyCommand(rule, lower string) error {
	grant := lower[0] == '+'
	name := lower[1:]
	if cat, ok := strings.CutPrefix(name, "@"); ok {
		if !grant {
			g.set(func(_ string, cats []string) bool { return slices.Contains(cats, cat) }, false)
			return nil
		}
		if !slices.Contains(aclSafeCategories, cat) {
			return aclRuleDenied(rule, "+@category may only grant "+strings.Join(aclSafeCategories, ", ")+"; never all, admin, dangerous or scripting")
		}
		g.set(func(_ string, cats []string) bool { return slices.Contains(cats, cat) }, true)
		return nil
	}
	if name == "" {
		return aclRuleDenied(rule, "name a command or a @category")
	}
	cmd, sub, hasSub := strings.Cut(name, "|")
	if !grant {
		g.set(func(item string, _ []string) bool {
			return item == name || (!hasSub && strings.HasPrefix(item, cmd+"|"))
		}, false)
		return nil
	}
	for item := range aclCeiling {
		icmd, isub, _ := strings.Cut(item, "|")
		if icmd == cmd && (!hasSub || isub == "" || isub == sub) {
			return aclRuleDenied(rule, fmt.Sprintf("a user you create may not run '%s', which your own client cannot run either", item))
		}
	}
	return nil
}

// ceiling returns an error naming the first aclCeiling entry g still
// grants; where names a selector, or is empty for the user itself.
func (g aclGrants) ceiling(user, where string) error {
	for _, item := range slices.Sorted(maps.Keys(g)) {
		if !g[item] {
			continue
		}
		of := ""
		if where != "" {
			of = " in " + where
		}
		return &sandbox.DeniedError{Reply: fmt.Sprintf(
			"ERR ACL SETUSER would let '%s' run '%s'%s, which the sandbox keeps from every user you create: take it away again, for example with -@dangerous or -%s after the rule that grants it",
			user, item, of, item)}
	}
	return nil
}
