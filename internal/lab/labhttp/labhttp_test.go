package labhttp

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/opslab/opslab/internal/check"
	"github.com/opslab/opslab/internal/lab"
)

// fill sets every field of the struct v points to, recursively, to a value
// that is not its zero value, so that a conversion that drops a field
// shows in the JSON.
func fill(t *testing.T, v reflect.Value) {
	t.Helper()
	switch v.Kind() {
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		fill(t, v.Elem())
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				fill(t, v.Field(i))
			}
		}
	case reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 2, 2))
		for i := range 2 {
			fill(t, v.Index(i))
		}
	case reflect.String:
		v.SetString("x-" + v.Type().String())
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int64:
		v.SetInt(7)
	case reflect.Float64:
		v.SetFloat(0.5)
	case reflect.Map:
		v.Set(reflect.MakeMap(v.Type()))
	case reflect.Interface:
		v.Set(reflect.ValueOf("x"))
	default:
		t.Fatalf("fill: no value for a %s", v.Type())
	}
}

func jsonOf(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestAnswersKeepEveryField proves that what the learner receives is the
// same JSON whether the server gets lab's answer or the adapter's, and
// that the server learns whether a command ran the live checks.
func TestAnswersKeepEveryField(t *testing.T) {
	var e lab.Executed
	fill(t, reflect.ValueOf(&e).Elem())
	e.Checks = &check.Report{Passed: true}
	got := answer(&e)
	if a, b := jsonOf(t, got), jsonOf(t, &e); a != b {
		t.Errorf("Executed:\n got %s\nwant %s", a, b)
	}
	if !got.RanChecks() {
		t.Error("an answer with checks must say it ran them")
	}
	e.Checks = nil
	if answer(&e).RanChecks() {
		t.Error("an answer without checks must say it ran none")
	}
	if answer(nil) != nil {
		t.Error("a nil answer must stay nil")
	}
	if New(nil) != nil {
		t.Error("New(nil) must be a nil Labs, so that the server answers 503")
	}
}
