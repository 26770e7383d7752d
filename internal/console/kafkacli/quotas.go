package kafkacli

import (
	"context"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// QuotaCommand is kafka-configs for --entity-type clients and/or users:
// client quotas. Names[i] belongs to Types[i]; "" is the default entity
// (--entity-default); fewer names than types describe every entity of
// the remaining types.
type QuotaCommand struct {
	Types   []string // "users", "clients", in the order the quota entity lists them
	Names   []string
	Add     []KeyValue
	Delete  []string
	HasName []bool // whether Names[i] was given
}

// quotaKeys are the client quota configs of users and client ids, with
// whether their value must be a whole number.
var quotaKeys = map[string]bool{
	"producer_byte_rate":       true,
	"consumer_byte_rate":       true,
	"request_percentage":       false,
	"controller_mutation_rate": false,
}

// quotaEntityType maps kafka-configs' entity types to the quota entity's.
var quotaEntityType = map[string]string{"users": "user", "clients": "client-id"}

// parseQuotas checks kafka-configs options for client quotas, after
// parse has checked the action and the entity types.
func (cmd *ConfigsCommand) parseQuotas(s scanned, types []string, action string) error {
	fail := func(text string) error { return usageError(ToolConfigs+" --"+action, text) }
	q := &QuotaCommand{}
	names := s.all("entity-name")
	defaults := s.has("entity-default")
	// The shortcut flags (--user U, --client C, --user-defaults,
	// --client-defaults) stand for an entity type and a name.
	for _, f := range []struct{ flag, defaults, typ string }{{"user", "user-defaults", "users"}, {"client", "client-defaults", "clients"}} {
		if s.has(f.flag) {
			types = append(types, f.typ)
			names = append(names, s.first(f.flag))
		} else if s.has(f.defaults) {
			types = append(types, f.typ)
			names = append(names, "")
		}
	}
	if defaults {
		names = append(names, "")
	}
	if len(names) > len(types) {
		return fail("More entity names specified than entity types")
	}
	if len(types) == 2 && types[0] == types[1] {
		return fail("Only 'users' and 'clients' entity types may be specified together")
	}
	// The quota entity lists the user before the client id.
	if len(types) == 2 && types[0] == "clients" {
		types[0], types[1] = types[1], types[0]
		if len(names) == 2 {
			names[0], names[1] = names[1], names[0]
		}
	}
	q.Types = types
	q.Names = names
	cmd.Quota = q
	if action == ActionDescribe {
		for _, name := range []string{"add-config", "delete-config"} {
			if s.has(name) {
				return fail(cantUseWith(name, "describe"))
			}
		}
		if s.has("all") {
			return fail(cantUseWith("all", "describe") + " of " + types[0])
		}
		return nil
	}
	if len(names) < len(types) {
		return fail(fmt.Sprintf("an entity name must be specified with --alter of %s", strings.Join(types, ", ")))
	}
	var err error
	if q.Add, q.Delete, err = alterConfigOptions(s, fail); err != nil {
		return err
	}
	for _, kv := range q.Add {
		if kv.Name == "SCRAM-SHA-256" || kv.Name == "SCRAM-SHA-512" {
			return fail("kafka-configs: SCRAM credentials are not supported in this console: the sandbox broker has no SASL listener")
		}
	}
	var unknownAdd, unknownDel []string
	for _, kv := range q.Add {
		if _, ok := quotaKeys[kv.Name]; !ok {
			unknownAdd = append(unknownAdd, kv.Name)
		}
	}
	for _, name := range q.Delete {
		if _, ok := quotaKeys[name]; !ok {
			unknownDel = append(unknownDel, name)
		}
	}
	only := "Only quota configs can be %s for 'clients' using --bootstrap-server. Unexpected config names: Set(%s)"
	if types[0] == "users" && len(types) == 1 {
		only = "Only quota and SCRAM credential configs can be %s for 'users' using --bootstrap-server. Unexpected config names: Set(%s)"
	}
	if len(unknownAdd) > 0 {
		return fail(configMainError(cmd.Args, "java.lang.IllegalArgumentException: "+fmt.Sprintf(only, "added", strings.Join(unknownAdd, ", "))))
	}
	if len(unknownDel) > 0 {
		return fail(configMainError(cmd.Args, "java.lang.IllegalArgumentException: "+fmt.Sprintf(only, "deleted", strings.Join(unknownDel, ", "))))
	}
	for _, kv := range q.Add {
		v, err := strconv.ParseFloat(kv.Value, 64)
		if err != nil {
			return fail(configMainError(cmd.Args, fmt.Sprintf("java.lang.IllegalArgumentException: Cannot parse quota configuration value for %s: %s", kv.Name, kv.Value)))
		}
		// The broker's checks (ClientQuotaControlManager).
		if v <= 0 {
			return fail(configCommandError(cmd.Args, fmt.Sprintf("org.apache.kafka.common.errors.InvalidRequestException: Quota %s must be greater than 0", kv.Name)))
		}
		if quotaKeys[kv.Name] && v != math.Trunc(v) {
			return fail(configCommandError(cmd.Args, fmt.Sprintf("org.apache.kafka.common.errors.InvalidRequestException: Configuration %s must be a Long value", kv.Name)))
		}
		if slices.Contains(q.Delete, kv.Name) {
			return fail(configCommandError(cmd.Args, "org.apache.kafka.common.errors.InvalidRequestException: Error due to duplicate config keys"))
		}
	}
	return nil
}

// configMainError is how kafka-configs reports an exception thrown before
// any request: the command line, then the exception's first line.
func configMainError(args []string, exception string) string {
	return fmt.Sprintf("Error while executing config command with args '%s'\n%s", strings.Join(args, " "), exception)
}

// describeComponents builds the strict filter kafka-configs describes
// quotas with.
func (q *QuotaCommand) describeComponents() []kadm.DescribeClientQuotaComponent {
	var out []kadm.DescribeClientQuotaComponent
	for i, t := range q.Types {
		c := kadm.DescribeClientQuotaComponent{Type: quotaEntityType[t]}
		switch {
		case i >= len(q.Names):
			c.MatchType = kmsg.QuotasMatchTypeAny
		case q.Names[i] == "":
			c.MatchType = kmsg.QuotasMatchTypeDefault
		default:
			name := q.Names[i]
			c.MatchName = &name
			c.MatchType = kmsg.QuotasMatchTypeExact
		}
		out = append(out, c)
	}
	return out
}

// entity is the quota entity of an alter.
func (q *QuotaCommand) entity() kadm.ClientQuotaEntity {
	var e kadm.ClientQuotaEntity
	for i, t := range q.Types {
		c := kadm.ClientQuotaEntityComponent{Type: quotaEntityType[t]}
		if q.Names[i] != "" {
			name := q.Names[i]
			c.Name = &name
		}
		e = append(e, c)
	}
	return e
}

// entityText words a quota entity the way kafka-configs describes it.
func quotaEntityText(e kadm.ClientQuotaEntity) string {
	var parts []string
	for _, typ := range []string{"user", "client-id", "ip"} {
		for _, c := range e {
			if c.Type != typ {
				continue
			}
			label := map[string]string{"user": "user-principal", "client-id": "client-id", "ip": "ip"}[typ]
			if c.Name != nil {
				parts = append(parts, fmt.Sprintf("%s '%s'", label, *c.Name))
			} else {
				parts = append(parts, "the default "+label)
			}
		}
	}
	return strings.Join(parts, ", ")
}

// runQuotas describes or alters client quotas.
func runQuotas(ctx context.Context, adm *kadm.Client, cmd *ConfigsCommand, out io.Writer) error {
	q := cmd.Quota
	described, err := adm.DescribeClientQuotas(ctx, true, q.describeComponents())
	if err != nil {
		return fmt.Errorf("describe client quotas: %w", err)
	}
	if cmd.Action == ActionDescribe {
		var lines []string
		for _, d := range described {
			var vals []string
			for _, v := range d.Values {
				vals = append(vals, v.Key+"="+javaDouble(v.Value))
			}
			slices.Sort(vals)
			lines = append(lines, fmt.Sprintf("Quota configs for %s are %s\n", quotaEntityText(d.Entity), strings.Join(vals, ", ")))
		}
		slices.Sort(lines)
		_, err := io.WriteString(out, strings.Join(lines, ""))
		return err
	}
	current := map[string]bool{}
	if len(described) > 0 {
		for _, v := range described[0].Values {
			current[v.Key] = true
		}
	}
	var missing []string
	for _, name := range q.Delete {
		if !current[name] {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		return &Error{Op: ToolConfigs + " --alter", Text: "Invalid config(s): " + strings.Join(missing, ",")}
	}
	entry := kadm.AlterClientQuotaEntry{Entity: q.entity()}
	for _, kv := range q.Add {
		v, _ := strconv.ParseFloat(kv.Value, 64)
		entry.Ops = append(entry.Ops, kadm.AlterClientQuotaOp{Key: kv.Name, Value: v})
	}
	for _, name := range q.Delete {
		entry.Ops = append(entry.Ops, kadm.AlterClientQuotaOp{Key: name, Remove: true})
	}
	res, err := adm.AlterClientQuotas(ctx, []kadm.AlterClientQuotaEntry{entry})
	if err != nil {
		return fmt.Errorf("alter client quotas: %w", err)
	}
	for _, r := range res {
		if r.Err != nil {
			return fmt.Errorf("alter client quotas: %w", r.Err)
		}
	}
	awaitQuotas(ctx, adm, q)
	head := q.Types[0]
	if q.Names[0] != "" {
		_, err = fmt.Fprintf(out, "Completed updating config for %s %s.\n", strings.TrimSuffix(head, "s"), q.Names[0])
	} else {
		_, err = fmt.Fprintf(out, "Completed updating default config for %s in the cluster.\n", head)
	}
	return err
}

// quotaCommand reports whether a kafka-configs line is about client
// quotas: its entity types are users and clients only, or it uses one of
// their shortcut flags.
func quotaCommand(s scanned, types []string) bool {
	for _, f := range []string{"user", "client", "user-defaults", "client-defaults"} {
		if s.has(f) {
			return !s.has("topic")
		}
	}
	if len(types) == 0 {
		return false
	}
	for _, t := range types {
		if t != "users" && t != "clients" {
			return false
		}
	}
	return true
}
