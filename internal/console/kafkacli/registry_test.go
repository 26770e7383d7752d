package kafkacli

import (
	"reflect"
	"strings"
	"testing"
)

// TestRegistryTools: every tool the console names is registered, its
// empty command is its own type that carries the line's Call, and its
// --help and --version are answered by the registry, listing --help and
// --version among the options and printing ToolVersion.
func TestRegistryTools(t *testing.T) {
	want := map[string]Command{
		ToolTopics:       &TopicsCommand{},
		ToolConfigs:      &ConfigsCommand{},
		ToolProducer:     &ProducerCommand{},
		ToolConsumer:     &ConsumerCommand{},
		ToolGroups:       &GroupsCommand{},
		ToolACLs:         &ACLCommand{},
		ToolTransactions: &TransactionsCommand{},
		ToolDrill:        &DrillCommand{},
	}
	if len(registry) != len(want) {
		t.Errorf("registry holds %d tools, want %d", len(registry), len(want))
	}
	for name, typ := range want {
		tl, ok := registry[name]
		if !ok {
			t.Errorf("%s is not registered", name)
			continue
		}
		call := Call{Tool: name, Args: []string{"x"}}
		cmd := tl.newCommand(call, stdin{})
		if reflect.TypeOf(cmd) != reflect.TypeOf(typ) {
			t.Errorf("%s: command type %T, want %T", name, cmd, typ)
		}
		if got := cmd.Line(); !reflect.DeepEqual(got, call) {
			t.Errorf("%s: Line() = %+v, want %+v", name, got, call)
		}
		if tl.readsInput != (name == ToolProducer) {
			t.Errorf("%s: readsInput = %v", name, tl.readsInput)
		}

		help, err := Parse(name + ".sh --help")
		if err != nil {
			t.Fatalf("%s --help: %v", name, err)
		}
		if _, ok := help.(*helpCommand); !ok || help.Line().Action != ActionHelp || help.Line().Tool != name {
			t.Errorf("%s --help parsed as %T %+v", name, help, help.Line())
		}
		var out strings.Builder
		if err := Run(t.Context(), Broker{}, help, &out); err != nil {
			t.Fatalf("%s --help: %v", name, err)
		}
		if !strings.HasPrefix(out.String(), "Options of "+name+" in this console:\n") ||
			!strings.Contains(out.String(), "  --help\n") || !strings.Contains(out.String(), "  --version\n") ||
			!strings.Contains(out.String(), "  --bootstrap-server <value>\n") {
			t.Errorf("%s --help printed %q", name, out.String())
		}

		version, err := Parse(name + " --version")
		if err != nil {
			t.Fatalf("%s --version: %v", name, err)
		}
		out.Reset()
		if err := Run(t.Context(), Broker{}, version, &out); err != nil || out.String() != ToolVersion+"\n" || version.Line().Action != ActionVersion {
			t.Errorf("%s --version: %q, %v, action %q", name, out.String(), err, version.Line().Action)
		}
	}
}

// TestRegisterRefuses: a tool registered twice, or one without --help or
// --version, is a programming error that register reports at once.
func TestRegisterRefuses(t *testing.T) {
	mustPanic := func(what string, tl *tool) {
		t.Helper()
		defer func() {
			if recover() == nil {
				t.Errorf("register accepted %s", what)
			}
		}()
		register(tl)
		delete(registry, tl.spec.tool)
	}
	mustPanic("a second kafka-topics", &tool{spec: &toolSpec{tool: ToolTopics, options: toolOptions([]string{"help", "version"}, nil)}})
	mustPanic("a tool without --version", &tool{spec: &toolSpec{tool: "kafka-nothing", options: toolOptions([]string{"help"}, nil)}})
	mustPanic("a tool without --help", &tool{spec: &toolSpec{tool: "kafka-nothing", options: toolOptions([]string{"version"}, nil)}})
	if _, ok := registry["kafka-nothing"]; ok {
		t.Error("a refused tool stayed registered")
	}
}

// TestRunNilCommand: Run refuses a nil Command (what a failed Parse
// returns) with a usage error instead of panicking.
func TestRunNilCommand(t *testing.T) {
	var out strings.Builder
	if err := Run(t.Context(), Broker{}, nil, &out); err == nil || out.Len() != 0 {
		t.Errorf("Run(nil) = %v, wrote %q", err, out.String())
	}
}
