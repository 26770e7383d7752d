package kafkacli

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// ToolACLs is Apache Kafka's kafka-acls.
const ToolACLs = "kafka-acls"

// aclsSpec is kafka-acls: its options as Kafka 4.1 defines them.
var aclsSpec = toolSpec{
	tool: ToolACLs,
	options: opts(
		[]string{"bootstrap-server=", "add", "remove", "list", "topic=", "group=", "cluster",
			"transactional-id=", "resource-pattern-type=", "allow-principal=", "deny-principal=",
			"principal=", "allow-host=", "deny-host=", "operation=", "producer", "consumer",
			"idempotent", "force", "help", "version"},
		[]string{"bootstrap-controller=", "command-config=", "delegation-token=", "user-principal="},
	),
	unknown:    joptUnknown,
	missingArg: joptMissingArg,
	badNumber:  joptBadNumber,
	build:      buildACLs,
}

// ACLResource is one resource pattern of a kafka-acls command: a topic,
// group, transactional id or the cluster, with a pattern type.
type ACLResource struct {
	Type    kmsg.ACLResourceType
	Name    string
	Pattern kmsg.ACLResourcePatternType
}

// ACLEntry is one access control entry: who may or may not do what
// from where.
type ACLEntry struct {
	Principal  string
	Host       string
	Operation  kmsg.ACLOperation
	Permission kmsg.ACLPermissionType
}

// ACLCommand is a parsed kafka-acls command: for every resource, the
// entries to add or remove (none: remove every entry of the resource).
type ACLCommand struct {
	Force      bool
	Principals []string // --list --principal
	Resources  []ACLResource
	Entries    map[ACLResource][]ACLEntry
}

// aclResourceOps are the operations each resource type supports, in the
// order Kafka documents them; All is allowed everywhere.
var aclResourceOps = map[kmsg.ACLResourceType][]kmsg.ACLOperation{
	kmsg.ACLResourceTypeTopic: {kmsg.ACLOperationRead, kmsg.ACLOperationWrite, kmsg.ACLOperationCreate, kmsg.ACLOperationDescribe,
		kmsg.ACLOperationDelete, kmsg.ACLOperationAlter, kmsg.ACLOperationDescribeConfigs, kmsg.ACLOperationAlterConfigs},
	kmsg.ACLResourceTypeGroup:           {kmsg.ACLOperationRead, kmsg.ACLOperationDescribe, kmsg.ACLOperationDelete},
	kmsg.ACLResourceTypeTransactionalId: {kmsg.ACLOperationDescribe, kmsg.ACLOperationWrite},
	kmsg.ACLResourceTypeCluster: {kmsg.ACLOperationCreate, kmsg.ACLOperationClusterAction, kmsg.ACLOperationDescribeConfigs,
		kmsg.ACLOperationAlterConfigs, kmsg.ACLOperationIdempotentWrite, kmsg.ACLOperationAlter, kmsg.ACLOperationDescribe},
}

// aclOperationNames are the operations' names as kafka-acls takes them
// (PascalCase; the upper-case form is accepted too) and prints them.
var aclOperationNames = map[kmsg.ACLOperation][2]string{
	kmsg.ACLOperationAll:             {"All", "ALL"},
	kmsg.ACLOperationRead:            {"Read", "READ"},
	kmsg.ACLOperationWrite:           {"Write", "WRITE"},
	kmsg.ACLOperationCreate:          {"Create", "CREATE"},
	kmsg.ACLOperationDelete:          {"Delete", "DELETE"},
	kmsg.ACLOperationAlter:           {"Alter", "ALTER"},
	kmsg.ACLOperationDescribe:        {"Describe", "DESCRIBE"},
	kmsg.ACLOperationClusterAction:   {"ClusterAction", "CLUSTER_ACTION"},
	kmsg.ACLOperationDescribeConfigs: {"DescribeConfigs", "DESCRIBE_CONFIGS"},
	kmsg.ACLOperationAlterConfigs:    {"AlterConfigs", "ALTER_CONFIGS"},
	kmsg.ACLOperationIdempotentWrite: {"IdempotentWrite", "IDEMPOTENT_WRITE"},
}

// aclOperation looks an operation up by either of its names.
func aclOperation(name string) (kmsg.ACLOperation, bool) {
	for op, names := range aclOperationNames {
		if name == names[0] || name == names[1] {
			return op, true
		}
	}
	return kmsg.ACLOperationUnknown, false
}

// aclResourceTypeName is ResourceType's name as Kafka prints it.
func aclResourceTypeName(t kmsg.ACLResourceType) string {
	switch t {
	case kmsg.ACLResourceTypeTopic:
		return "TOPIC"
	case kmsg.ACLResourceTypeGroup:
		return "GROUP"
	case kmsg.ACLResourceTypeCluster:
		return "CLUSTER"
	case kmsg.ACLResourceTypeTransactionalId:
		return "TRANSACTIONAL_ID"
	}
	return "UNKNOWN"
}

// aclPatternName is PatternType's name as Kafka prints it.
func aclPatternName(p kmsg.ACLResourcePatternType) string {
	switch p {
	case kmsg.ACLResourcePatternTypeLiteral:
		return "LITERAL"
	case kmsg.ACLResourcePatternTypePrefixed:
		return "PREFIXED"
	case kmsg.ACLResourcePatternTypeMatch:
		return "MATCH"
	case kmsg.ACLResourcePatternTypeAny:
		return "ANY"
	}
	return "UNKNOWN"
}

// String is ResourcePattern's toString.
func (r ACLResource) String() string {
	return fmt.Sprintf("ResourcePattern(resourceType=%s, name=%s, patternType=%s)", aclResourceTypeName(r.Type), r.Name, aclPatternName(r.Pattern))
}

// String is AccessControlEntry's toString.
func (e ACLEntry) String() string {
	perm := "ALLOW"
	if e.Permission == kmsg.ACLPermissionTypeDeny {
		perm = "DENY"
	}
	return fmt.Sprintf("(principal=%s, host=%s, operation=%s, permissionType=%s)", e.Principal, e.Host, aclOperationNames[e.Operation][1], perm)
}

// buildACLs checks kafka-acls options the way AclCommandOptions does.
func buildACLs(cmd *Command, s scanned) error {
	op := ToolACLs
	fail := func(text string) error { return usageError(op, text) }
	if s.has("help") {
		cmd.Action = ActionHelp
		return nil
	}
	if s.has("version") {
		cmd.Action = ActionVersion
		return nil
	}
	action, n := actionOf(s, "list", "add", "remove")
	if n != 1 {
		return fail("Command must include exactly one action: --list, --add, --remove. ")
	}
	cmd.Action = action
	if action == ActionList {
		for _, name := range []string{"producer", "consumer", "allow-host", "allow-principal", "deny-host", "deny-principal"} {
			if s.has(name) {
				return fail(cantUseWith(name, "list"))
			}
		}
	} else if s.has("principal") {
		return fail("The --principal option is only available if --list is set")
	}
	if s.has("producer") && !s.has("topic") {
		return fail("With --producer you must specify a --topic")
	}
	if s.has("idempotent") && !s.has("producer") {
		return fail("The --idempotent option is only available if --producer is set")
	}
	if s.has("consumer") && (!s.has("topic") || !s.has("group") || s.has("cluster") || s.has("transactional-id")) {
		return fail("With --consumer you must specify a --topic and a --group and no --cluster or --transactional-id option should be specified.")
	}
	pattern := kmsg.ACLResourcePatternTypeLiteral
	if s.has("resource-pattern-type") {
		switch v := strings.ToUpper(s.first("resource-pattern-type")); v {
		case "LITERAL":
		case "PREFIXED":
			pattern = kmsg.ACLResourcePatternTypePrefixed
		case "MATCH":
			pattern = kmsg.ACLResourcePatternTypeMatch
		case "ANY":
			pattern = kmsg.ACLResourcePatternTypeAny
		default:
			return fail(fmt.Sprintf("Cannot parse argument '%s' of option resource-pattern-type", s.first("resource-pattern-type")))
		}
	}
	if action == ActionAdd && pattern != kmsg.ACLResourcePatternTypeLiteral && pattern != kmsg.ACLResourcePatternTypePrefixed {
		return fail(fmt.Sprintf("A '--resource-pattern-type' value of '%s' is not valid when adding acls.", aclPatternName(pattern)))
	}
	a := &ACLCommand{Force: s.has("force"), Entries: map[ACLResource][]ACLEntry{}}
	cmd.ACL = a
	for _, p := range s.all("principal") {
		if _, _, ok := strings.Cut(p, ":"); !ok {
			return fail("expected a string in format principalType:principalName but got " + p)
		}
		a.Principals = append(a.Principals, strings.TrimSpace(p))
	}
	var topics, groups, txns []ACLResource
	for _, t := range s.all("topic") {
		topics = append(topics, ACLResource{kmsg.ACLResourceTypeTopic, strings.TrimSpace(t), pattern})
	}
	for _, g := range s.all("group") {
		groups = append(groups, ACLResource{kmsg.ACLResourceTypeGroup, strings.TrimSpace(g), pattern})
	}
	for _, t := range s.all("transactional-id") {
		txns = append(txns, ACLResource{kmsg.ACLResourceTypeTransactionalId, t, pattern})
	}
	var cluster []ACLResource
	if pattern == kmsg.ACLResourcePatternTypeLiteral && (s.has("cluster") || s.has("idempotent")) {
		cluster = []ACLResource{{kmsg.ACLResourceTypeCluster, "kafka-cluster", kmsg.ACLResourcePatternTypeLiteral}}
	}
	a.Resources = slices.Concat(topics, cluster, groups, txns)
	if len(a.Resources) == 0 && action != ActionList {
		return fail("You must provide at least one resource: --topic <topic> or --cluster or --group <group> or --delegation-token <Delegation Token ID>")
	}
	if action == ActionList {
		return nil
	}

	entries := func(ops []kmsg.ACLOperation) ([]ACLEntry, error) {
		var out []ACLEntry
		add := func(principalOpt, hostOpt string, perm kmsg.ACLPermissionType) error {
			hosts := s.all(hostOpt)
			if len(hosts) == 0 {
				hosts = []string{"*"}
			}
			for _, p := range s.all(principalOpt) {
				if _, _, ok := strings.Cut(p, ":"); !ok {
					return fail("expected a string in format principalType:principalName but got " + p)
				}
				for _, o := range ops {
					for _, h := range hosts {
						e := ACLEntry{strings.TrimSpace(p), strings.TrimSpace(h), o, perm}
						if !slices.Contains(out, e) {
							out = append(out, e)
						}
					}
				}
			}
			return nil
		}
		if err := add("allow-principal", "allow-host", kmsg.ACLPermissionTypeAllow); err != nil {
			return nil, err
		}
		if err := add("deny-principal", "deny-host", kmsg.ACLPermissionTypeDeny); err != nil {
			return nil, err
		}
		return out, nil
	}
	set := func(res []ACLResource, ops []kmsg.ACLOperation) error {
		es, err := entries(ops)
		if err != nil {
			return err
		}
		for _, r := range res {
			for _, e := range es {
				if !slices.Contains(a.Entries[r], e) {
					a.Entries[r] = append(a.Entries[r], e)
				}
			}
		}
		return nil
	}
	if !s.has("producer") && !s.has("consumer") {
		names := s.all("operation")
		if len(names) == 0 {
			names = []string{"All"}
		}
		var ops []kmsg.ACLOperation
		for _, name := range names {
			o, _ := aclOperation(strings.TrimSpace(name))
			if !slices.Contains(ops, o) {
				ops = append(ops, o)
			}
		}
		for _, r := range a.Resources {
			valid := append([]kmsg.ACLOperation{kmsg.ACLOperationAll}, aclResourceOps[r.Type]...)
			for _, o := range ops {
				if !slices.Contains(valid, o) {
					var names []string
					for _, v := range valid {
						names = append(names, aclOperationNames[v][0])
					}
					return fail(fmt.Sprintf("ResourceType %s only supports operations %s", aclResourceTypeName(r.Type), strings.Join(names, ", ")))
				}
			}
		}
		if err := set(a.Resources, ops); err != nil {
			return err
		}
	}
	if s.has("producer") {
		if err := set(topics, []kmsg.ACLOperation{kmsg.ACLOperationWrite, kmsg.ACLOperationDescribe, kmsg.ACLOperationCreate}); err != nil {
			return err
		}
		if err := set(txns, []kmsg.ACLOperation{kmsg.ACLOperationWrite, kmsg.ACLOperationDescribe}); err != nil {
			return err
		}
		if s.has("idempotent") {
			if err := set(cluster, []kmsg.ACLOperation{kmsg.ACLOperationIdempotentWrite}); err != nil {
				return err
			}
		}
	}
	if s.has("consumer") {
		if err := set(topics, []kmsg.ACLOperation{kmsg.ACLOperationRead, kmsg.ACLOperationDescribe}); err != nil {
			return err
		}
		if err := set(groups, []kmsg.ACLOperation{kmsg.ACLOperationRead}); err != nil {
			return err
		}
	}
	if action == ActionAdd {
		for _, r := range a.Resources {
			if len(a.Entries[r]) == 0 && (!s.has("producer") && !s.has("consumer") || r.Type != kmsg.ACLResourceTypeCluster) {
				return fail("You must specify one of: --allow-principal, --deny-principal when trying to add ACLs.")
			}
		}
	}
	if action == ActionRemove && !a.Force {
		return fail("kafka-acls: --remove asks for confirmation (y/n), which this console cannot answer: add --force")
	}
	return nil
}

// ActionAdd and ActionRemove are kafka-acls' actions; ActionList is
// shared with the other tools.
const (
	ActionAdd    = "add"
	ActionRemove = "remove"
)

// ACLBinding is a resource pattern with one entry, as the broker stores
// ACLs.
type ACLBinding struct {
	Resource ACLResource
	Entry    ACLEntry
}

// describeACLs returns every ACL binding the broker holds, sorted.
func describeACLs(ctx context.Context, cl *kgo.Client) ([]ACLBinding, error) {
	req := kmsg.NewPtrDescribeACLsRequest()
	req.ResourceType = kmsg.ACLResourceTypeAny
	req.ResourcePatternType = kmsg.ACLResourcePatternTypeAny
	req.Operation = kmsg.ACLOperationAny
	req.PermissionType = kmsg.ACLPermissionTypeAny
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		return nil, fmt.Errorf("describe acls: %w", err)
	}
	if err := kerr.ErrorForCode(resp.ErrorCode); err != nil {
		return nil, err
	}
	var out []ACLBinding
	for _, r := range resp.Resources {
		res := ACLResource{r.ResourceType, r.ResourceName, r.ResourcePatternType}
		for _, a := range r.ACLs {
			out = append(out, ACLBinding{res, ACLEntry{a.Principal, a.Host, a.Operation, a.PermissionType}})
		}
	}
	slices.SortFunc(out, func(a, b ACLBinding) int {
		return strings.Compare(a.Resource.String()+a.Entry.String(), b.Resource.String()+b.Entry.String())
	})
	return out, nil
}

// matchesFilter reports whether a stored binding's resource matches a
// kafka-acls resource filter: the same pattern type and name, any
// pattern type with ANY, and with MATCH every pattern that applies to
// the name (the literal name, the wildcard *, and prefixes of it).
// kfake's own MATCH filter compares names exactly, so the console
// filters itself.
func (r ACLResource) matchesFilter(f ACLResource) bool {
	if r.Type != f.Type {
		return false
	}
	switch f.Pattern {
	case kmsg.ACLResourcePatternTypeAny:
		return r.Name == f.Name
	case kmsg.ACLResourcePatternTypeMatch:
		switch r.Pattern {
		case kmsg.ACLResourcePatternTypeLiteral:
			return r.Name == f.Name || r.Name == "*"
		case kmsg.ACLResourcePatternTypePrefixed:
			return strings.HasPrefix(f.Name, r.Name)
		}
		return false
	}
	return r.Pattern == f.Pattern && r.Name == f.Name
}

// runACLs executes a parsed kafka-acls command.
func runACLs(ctx context.Context, b Broker, cmd Command, out io.Writer) error {
	op := ToolACLs + " --" + cmd.Action
	cl, err := b.client()
	if err != nil {
		return &Error{Op: op, Text: err.Error(), Err: err}
	}
	defer cl.Close()
	a := cmd.ACL
	var text strings.Builder
	var added, removed []ACLBinding
	switch cmd.Action {
	case ActionAdd:
		for _, r := range a.Resources {
			es := sortedEntries(a.Entries[r])
			if len(es) == 0 {
				continue
			}
			fmt.Fprintf(&text, "Adding ACLs for resource `%s`: \n %s \n\n", r, entryLines(es))
			req := kmsg.NewPtrCreateACLsRequest()
			for _, e := range es {
				c := kmsg.NewCreateACLsRequestCreation()
				c.ResourceType, c.ResourceName, c.ResourcePatternType = r.Type, r.Name, r.Pattern
				c.Principal, c.Host, c.Operation, c.PermissionType = e.Principal, e.Host, e.Operation, e.Permission
				req.Creations = append(req.Creations, c)
				added = append(added, ACLBinding{r, e})
			}
			resp, err := req.RequestWith(ctx, cl)
			if err == nil {
				for _, res := range resp.Results {
					if e := kerr.ErrorForCode(res.ErrorCode); e != nil && err == nil {
						err = e
					}
				}
			}
			if err != nil {
				io.WriteString(out, text.String())
				return &Error{Op: op, Text: "Error while executing ACL command: " + javaMessage(err), Err: err}
			}
		}
	case ActionRemove:
		all, err := describeACLs(ctx, cl)
		if err != nil {
			return &Error{Op: op, Text: "Error while executing ACL command: " + javaMessage(err), Err: err}
		}
		for _, f := range a.Resources {
			want := a.Entries[f]
			var del []ACLBinding
			for _, bd := range all {
				if bd.Resource.matchesFilter(f) && (len(want) == 0 || slices.Contains(want, bd.Entry)) {
					del = append(del, bd)
				}
			}
			if err := deleteBindings(ctx, cl, del); err != nil {
				return &Error{Op: op, Text: "Error while executing ACL command: " + javaMessage(err), Err: err}
			}
			removed = append(removed, del...)
		}
	case ActionList:
		all, err := describeACLs(ctx, cl)
		if err != nil {
			return &Error{Op: op, Text: "Error while executing ACL command: " + javaMessage(err), Err: err}
		}
		var shown []ACLBinding
		for _, bd := range all {
			if len(a.Resources) == 0 || slices.ContainsFunc(a.Resources, bd.Resource.matchesFilter) {
				shown = append(shown, bd)
			}
		}
		if len(a.Principals) == 0 {
			text.WriteString(resourceACLs(shown))
		}
		for _, p := range a.Principals {
			fmt.Fprintf(&text, "ACLs for principal `%s`\n", p)
			var mine []ACLBinding
			for _, bd := range shown {
				if bd.Entry.Principal == p {
					mine = append(mine, bd)
				}
			}
			text.WriteString(resourceACLs(mine))
		}
	}
	awaitACLs(ctx, cl, added, removed)
	_, err = io.WriteString(out, text.String())
	return err
}

// deleteBindings deletes exactly the given bindings.
func deleteBindings(ctx context.Context, cl *kgo.Client, bds []ACLBinding) error {
	if len(bds) == 0 {
		return nil
	}
	req := kmsg.NewPtrDeleteACLsRequest()
	for _, bd := range bds {
		f := kmsg.NewDeleteACLsRequestFilter()
		f.ResourceType, f.ResourceName, f.ResourcePatternType = bd.Resource.Type, kmsg.StringPtr(bd.Resource.Name), bd.Resource.Pattern
		f.Principal, f.Host = kmsg.StringPtr(bd.Entry.Principal), kmsg.StringPtr(bd.Entry.Host)
		f.Operation, f.PermissionType = bd.Entry.Operation, bd.Entry.Permission
		req.Filters = append(req.Filters, f)
	}
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		return err
	}
	for _, r := range resp.Results {
		if e := kerr.ErrorForCode(r.ErrorCode); e != nil {
			return e
		}
	}
	return nil
}

// resourceACLs prints bindings grouped by resource the way kafka-acls
// --list does, resources in sorted order.
func resourceACLs(bds []ACLBinding) string {
	var b strings.Builder
	var order []ACLResource
	byRes := map[ACLResource][]ACLEntry{}
	for _, bd := range bds {
		if _, ok := byRes[bd.Resource]; !ok {
			order = append(order, bd.Resource)
		}
		byRes[bd.Resource] = append(byRes[bd.Resource], bd.Entry)
	}
	for _, r := range order {
		fmt.Fprintf(&b, "Current ACLs for resource `%s`: \n %s \n\n", r, entryLines(sortedEntries(byRes[r])))
	}
	return b.String()
}

func sortedEntries(es []ACLEntry) []ACLEntry {
	es = slices.Clone(es)
	slices.SortFunc(es, func(a, b ACLEntry) int { return strings.Compare(a.String(), b.String()) })
	return es
}

func entryLines(es []ACLEntry) string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = "\t" + e.String()
	}
	return strings.Join(lines, "\n")
}

// topicACLs returns, for the probe, the ACL entries that apply to a
// topic by principal: "ALLOW READ LITERAL:orders", with " host=H" added
// for a host other than *.
func topicACLs(ctx context.Context, cl *kgo.Client, topic string) (map[string][]string, error) {
	all, err := describeACLs(ctx, cl)
	if err != nil {
		return nil, err
	}
	f := ACLResource{kmsg.ACLResourceTypeTopic, topic, kmsg.ACLResourcePatternTypeMatch}
	out := map[string][]string{}
	for _, bd := range all {
		if !bd.Resource.matchesFilter(f) {
			continue
		}
		perm := "ALLOW"
		if bd.Entry.Permission == kmsg.ACLPermissionTypeDeny {
			perm = "DENY"
		}
		s := fmt.Sprintf("%s %s %s:%s", perm, aclOperationNames[bd.Entry.Operation][1], aclPatternName(bd.Resource.Pattern), bd.Resource.Name)
		if bd.Entry.Host != "*" {
			s += " host=" + bd.Entry.Host
		}
		out[bd.Entry.Principal] = append(out[bd.Entry.Principal], s)
	}
	for p := range out {
		slices.Sort(out[p])
	}
	return out, nil
}
