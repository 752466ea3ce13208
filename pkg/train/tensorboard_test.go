package train

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/protowire"
)

// event is a decoded Event, as much of it as gotrl writes.
type event struct {
	Wall        float64
	Step        int64
	FileVersion string
	Source      string // source_metadata.writer
	Start       bool   // session_log.status == START
	Tag         string
	Value       *float32 // simple_value
	Text        string   // tensor.string_val[0]
	Plugin      string   // metadata.plugin_data.plugin_name
}

// readEvents parses a TFRecord event file, checking both masked CRCs of
// every record.
func readEvents(t *testing.T, path string) []event {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []event
	for len(b) > 0 {
		if len(b) < 12 {
			t.Fatalf("%s: %d trailing bytes", path, len(b))
		}
		n := binary.LittleEndian.Uint64(b)
		if got, want := maskedCRC(b[:8]), binary.LittleEndian.Uint32(b[8:]); got != want {
			t.Fatalf("%s: length CRC %08x, file has %08x", path, got, want)
		}
		data := b[12 : 12+n]
		if got, want := maskedCRC(data), binary.LittleEndian.Uint32(b[12+n:]); got != want {
			t.Fatalf("%s: data CRC %08x, file has %08x", path, got, want)
		}
		out = append(out, decodeEvent(t, data))
		b = b[16+n:]
	}
	return out
}

// fields walks a message, calling f with each field's number and raw value
// (varints as uint64, fixed as uint64 bits, bytes as []byte).
func fields(t *testing.T, b []byte, f func(protowire.Number, uint64, []byte)) {
	t.Helper()
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			t.Fatalf("bad tag: %v", protowire.ParseError(n))
		}
		b = b[n:]
		var v uint64
		var bs []byte
		switch typ {
		case protowire.VarintType:
			v, n = protowire.ConsumeVarint(b)
		case protowire.Fixed32Type:
			var x uint32
			x, n = protowire.ConsumeFixed32(b)
			v = uint64(x)
		case protowire.Fixed64Type:
			v, n = protowire.ConsumeFixed64(b)
		case protowire.BytesType:
			bs, n = protowire.ConsumeBytes(b)
		default:
			t.Fatalf("wire type %d", typ)
		}
		if n < 0 {
			t.Fatalf("bad field %d: %v", num, protowire.ParseError(n))
		}
		b = b[n:]
		f(num, v, bs)
	}
}

func decodeEvent(t *testing.T, b []byte) event {
	var e event
	fields(t, b, func(num protowire.Number, v uint64, bs []byte) {
		switch num {
		case eventWallTime:
			e.Wall = math.Float64frombits(v)
		case eventStep:
			e.Step = int64(v)
		case eventFileVersion:
			e.FileVersion = string(bs)
		case eventSource:
			fields(t, bs, func(_ protowire.Number, _ uint64, w []byte) { e.Source = string(w) })
		case eventSessionLog:
			fields(t, bs, func(n protowire.Number, s uint64, _ []byte) { e.Start = n == sessionStatus && s == sessionStart })
		case eventSummary:
			fields(t, bs, func(_ protowire.Number, _ uint64, val []byte) { decodeValue(t, val, &e) })
		}
	})
	return e
}

func decodeValue(t *testing.T, b []byte, e *event) {
	fields(t, b, func(num protowire.Number, v uint64, bs []byte) {
		switch num {
		case valueTag:
			e.Tag = string(bs)
		case valueSimpleValue:
			f := math.Float32frombits(uint32(v))
			e.Value = &f
		case valueTensor:
			fields(t, bs, func(n protowire.Number, _ uint64, s []byte) {
				if n == tensorStringVal {
					e.Text = string(s)
				}
			})
		case valueMetadata:
			fields(t, bs, func(_ protowire.Number, _ uint64, pd []byte) {
				fields(t, pd, func(n protowire.Number, _ uint64, name []byte) {
					if n == pluginName {
						e.Plugin = string(name)
					}
				})
			})
		}
	})
}

// fixtureEvent is one entry of testdata/tensorboard/events.json.
type fixtureEvent struct {
	Kind, Tag, Text string
	Step            int64
	Value, Wall     float64
}

// clock returns the given times in turn, then the last one again.
func clock(times ...float64) func() time.Time {
	return func() time.Time {
		s := times[0]
		if len(times) > 1 {
			times = times[1:]
		}
		sec, frac := math.Modf(s)
		return time.Unix(int64(sec), int64(math.Round(frac*1e9)))
	}
}

// torch.utils.tensorboard.SummaryWriter wrote the fixture
// (scripts/fixtures/check_tensorboard.py --fixture); EventWriter must write
// the same bytes for the same events.
func TestEventFileMatchesTorch(t *testing.T) {
	dir := filepath.Join("testdata", "tensorboard")
	b, err := os.ReadFile(filepath.Join(dir, "events.json"))
	if err != nil {
		t.Fatal(err)
	}
	var fx struct {
		Created float64
		Events  []fixtureEvent
	}
	if err := json.Unmarshal(b, &fx); err != nil {
		t.Fatal(err)
	}
	torchFile := filepath.Join(dir, "events.out.tfevents.torch")
	// Framing and CRCs as torch wrote them, and the decoder agrees with events.json.
	got := readEvents(t, torchFile)
	if len(got) != len(fx.Events)+1 || got[0].FileVersion != fileVersion || got[0].Wall != fx.Created {
		t.Fatalf("torch file: %d events, first %+v", len(got), got[0])
	}
	for i, want := range fx.Events {
		e := got[i+1]
		if e.Step != want.Step || e.Wall != want.Wall {
			t.Errorf("event %d: step %d wall %v, want %d %v", i+1, e.Step, e.Wall, want.Step, want.Wall)
		}
	}

	defer func(s string) { sourceWriter = s }(sourceWriter)
	sourceWriter = got[0].Source // tensorboard's writer names itself there
	times := []float64{fx.Created}
	for _, e := range fx.Events {
		times = append(times, e.Wall)
	}
	w, err := newEventWriter(t.TempDir(), clock(times...))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range fx.Events {
		switch e.Kind {
		case "start":
			err = w.Start(e.Step)
		case "scalar":
			err = w.Scalar(e.Step, e.Tag, e.Value)
		case "text":
			err = w.Text(e.Step, e.Tag, e.Text)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	mine, _ := os.ReadFile(w.Path)
	theirs, _ := os.ReadFile(torchFile)
	if !bytes.Equal(mine, theirs) {
		t.Errorf("event file differs from torch's:\n got %x\nwant %x", mine, theirs)
	}
	if !strings.HasPrefix(filepath.Base(w.Path), "events.out.tfevents.1700000000.") {
		t.Errorf("file name %s", filepath.Base(w.Path))
	}
	if err := w.Scalar(1, "x", 1); err == nil {
		t.Error("writing after Close: no error")
	}
}

func TestMetricsSinks(t *testing.T) {
	dir := t.TempDir()
	m, err := OpenMetrics(dir, ReportJSONL, ReportTensorBoard)
	if err != nil {
		t.Fatal(err)
	}
	recs := []Record{
		{"step": 4, "loss": 1.5, "lr": 3e-4, "train/accuracy": 0.25},
		{"step": 4, "eval/loss": 1.25},
	}
	for _, r := range recs {
		if err := m.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := m.WriteText(5, "sft/samples", MarkdownTable([]string{"prompt", "model"}, [][]string{{"a|b", "c\nd"}})); err != nil {
		t.Fatal(err)
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	if err := m.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}

	// metrics.jsonl holds the two records and no text.
	got, err := ReadMetrics(dir)
	if err != nil || !reflect.DeepEqual(got, recs) {
		t.Errorf("metrics.jsonl: %v, %v", got, err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, TensorBoardDir, "events.out.tfevents.*"))
	if len(files) != 1 {
		t.Fatalf("event files %v", files)
	}
	evs := readEvents(t, files[0])
	type point struct {
		step  int64
		tag   string
		value float32
	}
	var points []point
	for _, e := range evs[2:] {
		if e.Value != nil {
			points = append(points, point{e.Step, e.Tag, *e.Value})
		}
	}
	want := []point{ // sorted per record; bare keys under train/ as HF does
		{4, "train/loss", 1.5}, {4, "train/lr", float32(3e-4)}, {4, "train/accuracy", 0.25},
		{4, "eval/loss", 1.25},
	}
	if evs[0].FileVersion != fileVersion || evs[0].Source != "gotrl" || !evs[1].Start || evs[1].Step != 4 {
		t.Errorf("head events %+v %+v, want the file version then START at step 4", evs[0], evs[1])
	}
	if !reflect.DeepEqual(points, want) {
		t.Errorf("scalars %v\nwant %v", points, want)
	}
	last := evs[len(evs)-1]
	if last.Tag != "sft/samples/text_summary" || last.Plugin != "text" || last.Step != 5 ||
		last.Text != "| prompt | model |\n| --- | --- |\n| a\\|b | c<br>d |\n" {
		t.Errorf("text event %+v", last)
	}
}

func TestParseReportTo(t *testing.T) {
	tests := []struct {
		in   []string
		want []Report
		err  string
	}{
		{nil, nil, ""},
		{[]string{"none"}, nil, ""},
		{[]string{"jsonl,tensorboard"}, []Report{ReportJSONL, ReportTensorBoard}, ""},
		{[]string{"TensorBoard", "tensorboard"}, []Report{ReportTensorBoard}, ""},
		{[]string{"all"}, []Report{ReportJSONL, ReportTensorBoard}, ""},
		{[]string{"jsonl, wandb"}, nil, `unknown sink "wandb"`},
	}
	for _, tt := range tests {
		got, err := ParseReportTo(tt.in...)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("ParseReportTo(%q) error %v, want %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("ParseReportTo(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
	if _, err := OpenMetrics(t.TempDir(), "wandb"); err == nil {
		t.Error("OpenMetrics with an unknown sink: no error")
	}
}

// TestTensorBoardPeerRun logs a run for scripts/fixtures/check_tensorboard.py
// --check, which reads it with TensorBoard's own EventAccumulator. It runs
// only when that script sets GOTRL_TENSORBOARD_OUT.
func TestTensorBoardPeerRun(t *testing.T) {
	out := os.Getenv("GOTRL_TENSORBOARD_OUT")
	if out == "" {
		t.Skip("run by scripts/fixtures/check_tensorboard.py --check")
	}
	scalars := map[string][][2]float64{}
	texts := map[string][][2]any{}
	log := func(m *MetricsWriter, r Record) {
		if err := m.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	// The first process logs steps 1..5, then is killed; its checkpoint is
	// at step 2. The second resumes at step 3 and logs 3..4 with other values.
	first, err := OpenMetrics(out, ReportTensorBoard)
	if err != nil {
		t.Fatal(err)
	}
	for s := 1; s <= 5; s++ {
		log(first, Record{"step": float64(s), "loss": 10 + float64(s), "objective/kl": -float64(s) / 7})
	}
	first.Close()
	time.Sleep(1100 * time.Millisecond) // a later file name, as a real restart has
	second, err := OpenMetrics(out, ReportTensorBoard)
	if err != nil {
		t.Fatal(err)
	}
	table := MarkdownTable([]string{"reward", "query", "response"}, [][]string{{"0.739", "本文提出一种方法", "基于|图"}})
	for s := 1; s <= 2; s++ { // what TensorBoard keeps from the first process
		scalars["train/loss"] = append(scalars["train/loss"], [2]float64{float64(s), 10 + float64(s)})
		scalars["objective/kl"] = append(scalars["objective/kl"], [2]float64{float64(s), -float64(s) / 7})
	}
	for s := 3; s <= 4; s++ {
		r := Record{"step": float64(s), "loss": 1 / float64(s), "objective/kl": 0.01 * float64(s)}
		log(second, r)
		scalars["train/loss"] = append(scalars["train/loss"], [2]float64{float64(s), r["loss"]})
		scalars["objective/kl"] = append(scalars["objective/kl"], [2]float64{float64(s), r["objective/kl"]})
	}
	log(second, Record{"step": 4, "eval/loss": 0.5, "eval/accuracy": 0.75})
	scalars["eval/loss"] = [][2]float64{{4, 0.5}}
	scalars["eval/accuracy"] = [][2]float64{{4, 0.75}}
	if err := second.WriteText(4, "ppo/samples", table); err != nil {
		t.Fatal(err)
	}
	texts["ppo/samples/text_summary"] = [][2]any{{4, table}}
	if err := second.Close(); err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(map[string]any{"scalars": scalars, "texts": texts})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(out, "expected.json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	fmt.Println("wrote", out)
}
