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
	options: adminToolOptions(
		[]string{"add", "remove", "list", "topic=", "group=", "cluster",
			"transactional-id=", "resource-pattern-type=", "allow-principal=", "deny-principal=",
			"principal=", "allow-host=", "deny-host=", "operation=", "producer", "consumer",
			"idempotent", "force", "help", "version"},
		[]string{"bootstrap-controller=", "delegation-token=", "user-principal="},
	),
	unknown:    joptUnknown,
	missingArg: joptMissingArg,
	badNumber:  joptBadNumber,
}

// init adds the tool of this file to the registry.
func init() {
	register(&tool{spec: &aclsSpec, newCommand: func(c Call, _ stdin) toolCommand {
		return &ACLCommand{Call: c, Entries: map[ACLResource][]ACLEntry{}}
	}})
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

// ACLCommand is a kafka-acls line: for every resource, the entries to
// add or remove (none: remove every entry of the resource), or the
// resources and principals to list.
type ACLCommand struct {
	Call
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

// aclFail is a kafka-acls usage error with the tool's text.
func aclFail(text string) error { return usageError(ToolACLs, text) }

// parse checks kafka-acls options in the order AclCommandOptions does:
// the action and the options that go with it, the resource pattern type,
// the principals to list, the resources, and then, for --add and
// --remove, the entries.
func (a *ACLCommand) parse(s scanned) error {
	if err := a.parseAction(s); err != nil {
		return err
	}
	pattern, err := aclPatternType(s, a.Action)
	if err != nil {
		return err
	}
	a.Force = s.has("force")
	if a.Principals, err = aclPrincipals(s, "principal"); err != nil {
		return err
	}
	res := aclResourcesOf(s, pattern)
	a.Resources = res.all()
	if len(a.Resources) == 0 && a.Action != ActionList {
		return aclFail("You must provide at least one resource: --topic <topic> or --cluster or --group <group> or --delegation-token <Delegation Token ID>")
	}
	if a.Action == ActionList {
		return nil
	}
	if err := a.parseEntries(s, res); err != nil {
		return err
	}
	return a.checkEntries(s)
}

// parseAction sets the one action (--list, --add or --remove) and refuses
// the options that do not go with it.
func (a *ACLCommand) parseAction(s scanned) error {
	action, n := actionOf(s, "list", "add", "remove")
	if n != 1 {
		return aclFail("Command must include exactly one action: --list, --add, --remove. ")
	}
	a.Action = action
	if action == ActionList {
		for _, name := range []string{"producer", "consumer", "allow-host", "allow-principal", "deny-host", "deny-principal"} {
			if s.has(name) {
				return aclFail(cantUseWith(name, "list"))
			}
		}
	} else if s.has("principal") {
		return aclFail("The --principal option is only available if --list is set")
	}
	if s.has("producer") && !s.has("topic") {
		return aclFail("With --producer you must specify a --topic")
	}
	if s.has("idempotent") && !s.has("producer") {
		return aclFail("The --idempotent option is only available if --producer is set")
	}
	if s.has("consumer") && (!s.has("topic") || !s.has("group") || s.has("cluster") || s.has("transactional-id")) {
		return aclFail("With --consumer you must specify a --topic and a --group and no --cluster or --transactional-id option should be specified.")
	}
	return nil
}

// aclPatternType reads --resource-pattern-type (LITERAL when not given);
// --add takes only LITERAL and PREFIXED.
func aclPatternType(s scanned, action string) (kmsg.ACLResourcePatternType, error) {
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
			return pattern, aclFail(fmt.Sprintf("Cannot parse argument '%s' of option resource-pattern-type", s.first("resource-pattern-type")))
		}
	}
	if action == ActionAdd && pattern != kmsg.ACLResourcePatternTypeLiteral && pattern != kmsg.ACLResourcePatternTypePrefixed {
		return pattern, aclFail(fmt.Sprintf("A '--resource-pattern-type' value of '%s' is not valid when adding acls.", aclPatternName(pattern)))
	}
	return pattern, nil
}

// aclPrincipals returns the values of a principal option, trimmed, in
// the order typed; each must have the form principalType:principalName.
func aclPrincipals(s scanned, option string) ([]string, error) {
	var out []string
	for _, p := range s.all(option) {
		if _, _, ok := strings.Cut(p, ":"); !ok {
			return nil, aclFail("expected a string in format principalType:principalName but got " + p)
		}
		out = append(out, strings.TrimSpace(p))
	}
	return out, nil
}

// aclResources are the resources a kafka-acls line names, by type.
type aclResources struct {
	topics, groups, txns, cluster []ACLResource
}

// aclResourcesOf reads the resource options. The cluster is named by
// --cluster, or by --idempotent, and only with the LITERAL pattern.
func aclResourcesOf(s scanned, pattern kmsg.ACLResourcePatternType) aclResources {
	var r aclResources
	for _, t := range s.all("topic") {
		r.topics = append(r.topics, ACLResource{kmsg.ACLResourceTypeTopic, strings.TrimSpace(t), pattern})
	}
	for _, g := range s.all("group") {
		r.groups = append(r.groups, ACLResource{kmsg.ACLResourceTypeGroup, strings.TrimSpace(g), pattern})
	}
	for _, t := range s.all("transactional-id") {
		r.txns = append(r.txns, ACLResource{kmsg.ACLResourceTypeTransactionalId, t, pattern})
	}
	if pattern == kmsg.ACLResourcePatternTypeLiteral && (s.has("cluster") || s.has("idempotent")) {
		r.cluster = []ACLResource{{kmsg.ACLResourceTypeCluster, "kafka-cluster", kmsg.ACLResourcePatternTypeLiteral}}
	}
	return r
}

// all returns every resource in the order kafka-acls handles them.
func (r aclResources) all() []ACLResource {
	return slices.Concat(r.topics, r.cluster, r.groups, r.txns)
}

// aclGrant is a set of operations given to a set of resources.
type aclGrant struct {
	resources []ACLResource
	ops       []kmsg.ACLOperation
}

// parseEntries fills a.Entries: --operation on every resource, or the
// operations --producer and --consumer stand for on the resources they
// concern; each for every allowed and denied principal and host.
func (a *ACLCommand) parseEntries(s scanned, res aclResources) error {
	var grants []aclGrant
	if !s.has("producer") && !s.has("consumer") {
		ops, err := aclOperations(s, a.Resources)
		if err != nil {
			return err
		}
		grants = append(grants, aclGrant{a.Resources, ops})
	}
	if s.has("producer") {
		grants = append(grants,
			aclGrant{res.topics, []kmsg.ACLOperation{kmsg.ACLOperationWrite, kmsg.ACLOperationDescribe, kmsg.ACLOperationCreate}},
			aclGrant{res.txns, []kmsg.ACLOperation{kmsg.ACLOperationWrite, kmsg.ACLOperationDescribe}})
		if s.has("idempotent") {
			grants = append(grants, aclGrant{res.cluster, []kmsg.ACLOperation{kmsg.ACLOperationIdempotentWrite}})
		}
	}
	if s.has("consumer") {
		grants = append(grants,
			aclGrant{res.topics, []kmsg.ACLOperation{kmsg.ACLOperationRead, kmsg.ACLOperationDescribe}},
			aclGrant{res.groups, []kmsg.ACLOperation{kmsg.ACLOperationRead}})
	}
	for _, g := range grants {
		es, err := aclEntries(s, g.ops)
		if err != nil {
			return err
		}
		for _, r := range g.resources {
			for _, e := range es {
				if !slices.Contains(a.Entries[r], e) {
					a.Entries[r] = append(a.Entries[r], e)
				}
			}
		}
	}
	return nil
}

// aclOperations reads --operation (All when not given), each once, and
// checks that every resource supports every one of them.
func aclOperations(s scanned, resources []ACLResource) ([]kmsg.ACLOperation, error) {
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
	for _, r := range resources {
		valid := append([]kmsg.ACLOperation{kmsg.ACLOperationAll}, aclResourceOps[r.Type]...)
		for _, o := range ops {
			if !slices.Contains(valid, o) {
				var names []string
				for _, v := range valid {
					names = append(names, aclOperationNames[v][0])
				}
				return nil, aclFail(fmt.Sprintf("ResourceType %s only supports operations %s", aclResourceTypeName(r.Type), strings.Join(names, ", ")))
			}
		}
	}
	return ops, nil
}

// aclEntries returns the entries giving ops to every --allow-principal
// from every --allow-host, then denying them to every --deny-principal
// from every --deny-host (a missing host list means "*"), each once.
func aclEntries(s scanned, ops []kmsg.ACLOperation) ([]ACLEntry, error) {
	var out []ACLEntry
	for _, side := range []struct {
		principal, host string
		perm            kmsg.ACLPermissionType
	}{
		{"allow-principal", "allow-host", kmsg.ACLPermissionTypeAllow},
		{"deny-principal", "deny-host", kmsg.ACLPermissionTypeDeny},
	} {
		hosts := s.all(side.host)
		if len(hosts) == 0 {
			hosts = []string{"*"}
		}
		principals, err := aclPrincipals(s, side.principal)
		if err != nil {
			return nil, err
		}
		for _, p := range principals {
			for _, o := range ops {
				for _, h := range hosts {
					e := ACLEntry{p, strings.TrimSpace(h), o, side.perm}
					if !slices.Contains(out, e) {
						out = append(out, e)
					}
				}
			}
		}
	}
	return out, nil
}

// checkEntries refuses an --add that leaves a resource without entries
// and a --remove without --force, whose confirmation the console cannot
// answer.
func (a *ACLCommand) checkEntries(s scanned) error {
	if a.Action == ActionAdd {
		for _, r := range a.Resources {
			if len(a.Entries[r]) == 0 && (!s.has("producer") && !s.has("consumer") || r.Type != kmsg.ACLResourceTypeCluster) {
				return aclFail("You must specify one of: --allow-principal, --deny-principal when trying to add ACLs.")
			}
		}
	}
	if a.Action == ActionRemove && !a.Force {
		return aclFail("kafka-acls: --remove asks for confirmation (y/n), which this console cannot answer: add --force")
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

// run executes a parsed kafka-acls command.
func (a *ACLCommand) run(ctx context.Context, b Broker, out io.Writer) error {
	op := ToolACLs + " --" + a.Action
	cl, err := b.connect(op, plainText)
	if err != nil {
		return err
	}
	defer cl.Close()
	var text strings.Builder
	var added, removed []ACLBinding
	switch a.Action {
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
