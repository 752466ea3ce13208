package config

import (
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"

	"github.com/spf13/pflag"
)

// newValue returns a pflag.Value writing into the field fv; min is the
// field's lower bound (bound).
func newValue(fv reflect.Value, min *float64) (pflag.Value, error) {
	switch fv.Kind() {
	case reflect.String:
		return &stringValue{fv}, nil
	case reflect.Bool:
		return &boolValue{fv}, nil
	case reflect.Int, reflect.Int64:
		return &intValue{fv, min}, nil
	case reflect.Float64:
		return &floatValue{fv, min}, nil
	case reflect.Slice:
		switch fv.Type().Elem().Kind() {
		case reflect.String, reflect.Int, reflect.Int64, reflect.Float64:
			return &sliceValue{v: fv, min: min}, nil
		}
	case reflect.Pointer:
		switch fv.Type().Elem().Kind() {
		case reflect.Int64, reflect.Float64:
			return &pointerValue{fv, min}, nil
		}
	}
	return nil, fmt.Errorf("type %s has no flag form (tag it flag:\"-\")", fv.Type())
}

// bound is a numeric field's lower bound, from its tag min:"N": 0 when
// untagged (no count, rate, length or id of gotrl's is negative, and a
// negative one went on silently: --max-steps -5 trained an epoch), none
// for min:"none" (seeds).
func bound(f reflect.StructField) (*float64, error) {
	tag := f.Tag.Get("min")
	switch tag {
	case "none":
		return nil, nil
	case "":
		zero := 0.0
		return &zero, nil
	}
	m, err := strconv.ParseFloat(tag, 64)
	if err != nil {
		return nil, fmt.Errorf("field %s: min tag %q is not a number", f.Name, tag)
	}
	return &m, nil
}

// checkMin refuses v below min (nil: no bound).
func checkMin(v float64, min *float64) error {
	if min != nil && v < *min {
		return fmt.Errorf("%v, want ≥ %v", v, *min)
	}
	return nil
}

// validate runs the field type's Validate, if it has one.
func validate(fv reflect.Value) error {
	if v, ok := fv.Interface().(Validator); ok {
		return v.Validate()
	}
	return nil
}

type stringValue struct{ v reflect.Value }

func (s *stringValue) String() string { return s.v.String() }
func (s *stringValue) Type() string   { return "string" }
func (s *stringValue) Set(x string) error {
	old := s.v.String()
	s.v.SetString(x)
	if err := validate(s.v); err != nil {
		s.v.SetString(old)
		return err
	}
	return nil
}

type boolValue struct{ v reflect.Value }

func (b *boolValue) String() string { return strconv.FormatBool(b.v.Bool()) }
func (b *boolValue) Type() string   { return "bool" }
func (b *boolValue) Set(x string) error {
	v, err := strconv.ParseBool(x)
	if err != nil {
		return fmt.Errorf("%q is not true or false", x)
	}
	b.v.SetBool(v)
	return nil
}

type intValue struct {
	v   reflect.Value
	min *float64
}

func (i *intValue) String() string { return strconv.FormatInt(i.v.Int(), 10) }
func (i *intValue) Type() string   { return i.v.Kind().String() }
func (i *intValue) Set(x string) error {
	v, err := strconv.ParseInt(strings.TrimSpace(x), 10, 64)
	if err != nil {
		return fmt.Errorf("%q is not an integer", x)
	}
	if err := checkMin(float64(v), i.min); err != nil {
		return err
	}
	i.v.SetInt(v)
	return nil
}

type floatValue struct {
	v   reflect.Value
	min *float64
}

func (f *floatValue) String() string { return strconv.FormatFloat(f.v.Float(), 'g', -1, 64) }
func (f *floatValue) Type() string   { return "float" }
func (f *floatValue) Set(x string) error {
	v, err := parseFloat(x)
	if err != nil {
		return err
	}
	if err := checkMin(v, f.min); err != nil {
		return err
	}
	f.v.SetFloat(v)
	return nil
}

// parseFloat refuses NaN and infinities: no setting of gotrl's wants one,
// and one that slipped through would fail far from the flag that set it.
func parseFloat(x string) (float64, error) {
	v, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
	if err != nil {
		return 0, fmt.Errorf("%q is not a number", x)
	}
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, fmt.Errorf("%q is not a finite number", x)
	}
	return v, nil
}

// pointerValue is an optional number: "none" (or "") leaves it unset.
type pointerValue struct {
	v   reflect.Value
	min *float64
}

func (p *pointerValue) String() string {
	if p.v.IsNil() {
		return "" // unset
	}
	return fmt.Sprint(p.v.Elem().Interface())
}

// Type is the pointed-to number's, so that an optional --temperature and
// a plain one read alike in help.
func (p *pointerValue) Type() string { return p.number(reflect.New(p.v.Type().Elem()).Elem()).Type() }
func (p *pointerValue) Set(x string) error {
	if x == "" || x == "none" {
		p.v.SetZero()
		return nil
	}
	n := reflect.New(p.v.Type().Elem())
	if err := p.number(n.Elem()).Set(x); err != nil {
		return err
	}
	p.v.Set(n)
	return nil
}

// number is the flag form of v, a number of the pointer's element type.
func (p *pointerValue) number(v reflect.Value) interface {
	Set(string) error
	Type() string
} {
	if v.Kind() == reflect.Float64 {
		return &floatValue{v, p.min}
	}
	return &intValue{v, p.min}
}

// sliceValue is a repeatable flag: the first use replaces the default,
// later ones append. Numbers may also be given comma-separated; strings
// (often paths) are taken whole.
type sliceValue struct {
	v       reflect.Value
	min     *float64
	changed bool
}

func (s *sliceValue) Type() string { return s.v.Type().Elem().Kind().String() + "s" }
func (s *sliceValue) String() string {
	if s.v.Len() == 0 {
		return "" // pflag shows no "(default …)" for an empty list
	}
	return "[" + strings.Join(s.GetSlice(), ",") + "]"
}

func (s *sliceValue) Set(x string) error {
	parts := []string{x}
	if s.v.Type().Elem().Kind() != reflect.String {
		parts = strings.Split(x, ",")
	}
	if !s.changed {
		s.v.Set(reflect.MakeSlice(s.v.Type(), 0, len(parts)))
		s.changed = true
	}
	return s.appendAll(parts)
}

// Append, Replace and GetSlice make it a pflag.SliceValue, which
// config.Resolve replays.
func (s *sliceValue) Append(x string) error { return s.appendAll([]string{x}) }

func (s *sliceValue) appendAll(xs []string) error {
	for _, x := range xs {
		e := reflect.New(s.v.Type().Elem()).Elem()
		var err error
		switch e.Kind() {
		case reflect.String:
			e.SetString(x)
		case reflect.Float64:
			err = (&floatValue{e, s.min}).Set(x)
		default:
			err = (&intValue{e, s.min}).Set(x)
		}
		if err != nil {
			return err
		}
		s.v.Set(reflect.Append(s.v, e))
	}
	return nil
}

func (s *sliceValue) Replace(xs []string) error {
	s.v.Set(reflect.MakeSlice(s.v.Type(), 0, len(xs)))
	return s.appendAll(xs)
}

func (s *sliceValue) GetSlice() []string {
	out := make([]string, s.v.Len())
	for i := range out {
		out[i] = fmt.Sprint(s.v.Index(i).Interface())
	}
	return out
}

var _ pflag.SliceValue = (*sliceValue)(nil)
