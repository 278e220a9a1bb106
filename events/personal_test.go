package events

import (
	"reflect"
	"strings"
	"testing"
)

// Every field of text in every payload is decided: sealed as personal data
// (its Personal method names it) or kept in clear with a reason (inClear in
// its registration). Ids (id, *_id) and fields of named string types are
// not text. A new payload fails here, naming its type and field, until
// someone decides.
func TestEveryFieldOfTextIsSealedOrDeclaredClear(t *testing.T) {
	t.Parallel()
	for _, typ := range Types() {
		s := registry[typ]
		p := reflect.New(s.Payload)
		sealed := map[uintptr]bool{}
		if personal, ok := p.Interface().(Personal); ok {
			_, fields := personal.Personal("actor")
			for _, f := range fields {
				sealed[reflect.ValueOf(f).Pointer()] = true
			}
		}
		seen := map[string]bool{}
		for name, v := range textFields(p.Elem(), "") {
			seen[name] = true
			isSealed := v.Kind() == reflect.String && sealed[v.Addr().Pointer()]
			_, isClear := s.clear[name]
			switch {
			case isSealed && isClear:
				t.Errorf("%s: field %s is sealed and declared in clear", typ, name)
			case !isSealed && !isClear:
				t.Errorf("%s: field %s is text neither sealed (its Personal method, events/types.go) nor declared in clear (inClear in events/registry.go)", typ, name)
			}
		}
		for name := range s.clear {
			if !seen[name] && !hasField(s.Payload, name) {
				t.Errorf("%s: inClear names %s, which its payload does not have", typ, name)
			}
		}
	}
}

var (
	stringType  = reflect.TypeFor[string]()
	stringsType = reflect.TypeFor[[]string]()
)

// textFields returns the fields of text of struct v by JSON name, with
// those of nested structs as "outer.inner".
func textFields(v reflect.Value, prefix string) map[string]reflect.Value {
	out := map[string]reflect.Value{}
	for i := range v.NumField() {
		f := v.Type().Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" || name == "-" {
			continue
		}
		name = prefix + name
		switch {
		case f.Type.Kind() == reflect.Struct:
			for n, fv := range textFields(v.Field(i), name+".") {
				out[n] = fv
			}
		case name == "id" || strings.HasSuffix(name, "_id") || strings.HasSuffix(name, ".id"):
		case f.Type == stringType || f.Type == stringsType:
			out[name] = v.Field(i)
		}
	}
	return out
}

// hasField reports whether struct t has a field of JSON name name.
func hasField(t reflect.Type, name string) bool {
	head, rest, nested := strings.Cut(name, ".")
	for i := range t.NumField() {
		f := t.Field(i)
		if n, _, _ := strings.Cut(f.Tag.Get("json"), ","); n == head {
			return !nested || (f.Type.Kind() == reflect.Struct && hasField(f.Type, rest))
		}
	}
	return false
}
