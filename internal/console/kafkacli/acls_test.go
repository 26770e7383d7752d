package kafkacli_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/opslab/opslab/internal/console/kafkacli"
)

func TestACLsAddListRemove(t *testing.T) {
	b := newBroker(t)
	mustRun(t, b, "kafka-topics --create --topic acme.orders")

	line := "kafka-acls --bootstrap-server localhost:9092 --add --allow-principal User:billing --operation Read --operation Describe --topic acme.orders --group billing"
	wantOutput(t, line, mustRun(t, b, line),
		"Adding ACLs for resource `ResourcePattern(resourceType=TOPIC, name=acme.orders, patternType=LITERAL)`: \n"+
			" \t(principal=User:billing, host=*, operation=DESCRIBE, permissionType=ALLOW)\n"+
			"\t(principal=User:billing, host=*, operation=READ, permissionType=ALLOW) \n\n"+
			"Adding ACLs for resource `ResourcePattern(resourceType=GROUP, name=billing, patternType=LITERAL)`: \n"+
			" \t(principal=User:billing, host=*, operation=DESCRIBE, permissionType=ALLOW)\n"+
			"\t(principal=User:billing, host=*, operation=READ, permissionType=ALLOW) \n\n")
	mustRun(t, b, "kafka-acls --add --allow-principal User:acme-app --producer --topic acme. --resource-pattern-type prefixed")
	mustRun(t, b, "kafka-acls --add --allow-principal User:* --operation All --topic *")

	line = "kafka-acls --list --topic acme.orders"
	wantOutput(t, line, mustRun(t, b, line),
		"Current ACLs for resource `ResourcePattern(resourceType=TOPIC, name=acme.orders, patternType=LITERAL)`: \n"+
			" \t(principal=User:billing, host=*, operation=DESCRIBE, permissionType=ALLOW)\n"+
			"\t(principal=User:billing, host=*, operation=READ, permissionType=ALLOW) \n\n")
	line = "kafka-acls --list --topic acme.orders --resource-pattern-type match --principal User:acme-app"
	wantOutput(t, line, mustRun(t, b, line),
		"ACLs for principal `User:acme-app`\n"+
			"Current ACLs for resource `ResourcePattern(resourceType=TOPIC, name=acme., patternType=PREFIXED)`: \n"+
			" \t(principal=User:acme-app, host=*, operation=CREATE, permissionType=ALLOW)\n"+
			"\t(principal=User:acme-app, host=*, operation=DESCRIBE, permissionType=ALLOW)\n"+
			"\t(principal=User:acme-app, host=*, operation=WRITE, permissionType=ALLOW) \n\n")

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	d, err := kafkacli.DescribeTopic(ctx, b, "acme.orders")
	if err != nil {
		t.Fatal(err)
	}
	if got := d["acl.User:billing"]; !slices.Equal(got.([]string), []string{"ALLOW DESCRIBE LITERAL:acme.orders", "ALLOW READ LITERAL:acme.orders"}) {
		t.Errorf("acl.User:billing = %v", got)
	}
	if got := d["acl.User:acme-app"]; !slices.Equal(got.([]string), []string{"ALLOW CREATE PREFIXED:acme.", "ALLOW DESCRIBE PREFIXED:acme.", "ALLOW WRITE PREFIXED:acme."}) {
		t.Errorf("acl.User:acme-app = %v", got)
	}
	if got := d["acl.User:*"]; !slices.Equal(got.([]string), []string{"ALLOW ALL LITERAL:*"}) {
		t.Errorf("acl.User:* = %v", got)
	}

	wantError(t, b, "kafka-acls --remove --topic *", "kafka-acls: --remove asks for confirmation (y/n), which this console cannot answer: add --force")
	wantOutput(t, "remove", mustRun(t, b, "kafka-acls --remove --force --topic *"), "")
	mustRun(t, b, "kafka-acls --remove --force --allow-principal User:billing --operation Describe --topic acme.orders")
	d, err = kafkacli.DescribeTopic(ctx, b, "acme.orders")
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := d["acl.User:*"]; ok {
		t.Errorf("acl.User:* still there: %v", d["acl.User:*"])
	}
	if got := d["acl.User:billing"]; !slices.Equal(got.([]string), []string{"ALLOW READ LITERAL:acme.orders"}) {
		t.Errorf("acl.User:billing after remove = %v", got)
	}
}

func TestACLsParseErrors(t *testing.T) {
	for _, c := range []struct{ line, want string }{
		{"kafka-acls --topic t", "Command must include exactly one action: --list, --add, --remove. "},
		{"kafka-acls --add --topic t", "You must specify one of: --allow-principal, --deny-principal when trying to add ACLs."},
		{"kafka-acls --add --allow-principal User:a", "You must provide at least one resource: --topic <topic> or --cluster or --group <group> or --delegation-token <Delegation Token ID>"},
		{"kafka-acls --add --allow-principal User:a --operation Write --group g", "ResourceType GROUP only supports operations All, Read, Describe, Delete"},
		{"kafka-acls --add --allow-principal User:a --topic t --resource-pattern-type match", "A '--resource-pattern-type' value of 'MATCH' is not valid when adding acls."},
		{"kafka-acls --add --allow-principal alice --topic t", "expected a string in format principalType:principalName but got alice"},
		{"kafka-acls --add --principal User:a --topic t", "The --principal option is only available if --list is set"},
		{"kafka-acls --add --allow-principal User:a --consumer --topic t", "With --consumer you must specify a --topic and a --group and no --cluster or --transactional-id option should be specified."},
		{"kafka-acls --add --allow-principal User:a --producer", "With --producer you must specify a --topic"},
	} {
		_, err := kafkacli.Parse(c.line)
		if err == nil || err.Error() != c.want {
			t.Errorf("%s:\n got %v\nwant %s", c.line, err, c.want)
		}
	}
}
