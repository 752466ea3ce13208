package train

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"math"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"google.golang.org/protobuf/encoding/protowire"
)

// TensorBoard event files, written without TensorFlow: what
// torch.utils.tensorboard.SummaryWriter writes for add_scalar and add_text,
// byte for byte (tensorboard_test.go checks it against a file torch wrote).
//
// A file is a sequence of TFRecords (tensorflow/core/lib/io/record_writer.cc):
//
//	uint64 length, uint32 masked CRC32C of length, data, uint32 masked CRC32C of data
//
// (little-endian), each data an Event proto (tensorflow/core/util/event.proto),
// encoded here field by field with protowire in field-number order, as the
// Python protobuf runtime does.

// TensorBoardDir is where a run's event files go: RUN_DIR/runs, as HF
// Trainer's logging_dir sits under output_dir (view with
// `tensorboard --logdir RUN_DIR/runs`). A resumed run adds a file there.
const TensorBoardDir = "runs"

// Event and Summary field numbers (event.proto, summary.proto, tensor.proto).
const (
	eventWallTime    protowire.Number = 1  // double, seconds since the epoch
	eventStep        protowire.Number = 2  // int64
	eventFileVersion protowire.Number = 3  // string
	eventSummary     protowire.Number = 5  // Summary
	eventSessionLog  protowire.Number = 7  // SessionLog
	eventSource      protowire.Number = 10 // SourceMetadata{writer = 1}

	summaryValue       protowire.Number = 1 // repeated Summary.Value
	valueTag           protowire.Number = 1 // string
	valueSimpleValue   protowire.Number = 2 // float
	valueTensor        protowire.Number = 8 // TensorProto
	valueMetadata      protowire.Number = 9 // SummaryMetadata
	metadataPluginData protowire.Number = 1 // PluginData
	pluginName         protowire.Number = 1 // string

	tensorDtype     protowire.Number = 1 // DataType enum
	tensorShape     protowire.Number = 2 // TensorShapeProto
	tensorStringVal protowire.Number = 8 // repeated bytes
	shapeDim        protowire.Number = 2 // repeated Dim
	dimSize         protowire.Number = 1 // int64

	sessionStatus protowire.Number = 1 // SessionLog.SessionStatus

	dtString     = 7 // DT_STRING
	sessionStart = 1 // SessionLog.START
)

// fileVersion is the first event of every file ("brain.Event:2": TensorBoard
// then honors SessionLog.START for purging, see EventWriter.Start).
const fileVersion = "brain.Event:2"

// sourceWriter names the writer in the first event's source_metadata, as
// tensorboard's own writer names itself there.
var sourceWriter = "gotrl"

// EventWriter appends events to one TensorBoard event file. Every event is
// one write(2), so a killed run leaves whole records (TensorBoard skips a
// torn last one). It is not safe for concurrent use.
type EventWriter struct {
	Path string
	f    *os.File
	now  func() time.Time
}

// fileSeq tells apart files one process opens within a second (torch's global_uid).
var fileSeq atomic.Int64

// NewEventWriter creates dir and a new event file in it,
// events.out.tfevents.<unix seconds>.<host>.<pid>.<n> as torch names them,
// and writes the file-version event.
func NewEventWriter(dir string) (*EventWriter, error) {
	return newEventWriter(dir, time.Now)
}

func newEventWriter(dir string, now func() time.Time) (*EventWriter, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("tensorboard: %w", err)
	}
	host, err := os.Hostname()
	if err != nil {
		host = "localhost"
	}
	t := now()
	name := fmt.Sprintf("events.out.tfevents.%010d.%s.%d.%d", t.Unix(), host, os.Getpid(), fileSeq.Add(1)-1)
	path := filepath.Join(dir, name)
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if err != nil {
		return nil, fmt.Errorf("tensorboard: %w", err)
	}
	w := &EventWriter{Path: path, f: f, now: now}
	ev := appendEventHead(nil, t, 0)
	ev = protowire.AppendTag(ev, eventFileVersion, protowire.BytesType)
	ev = protowire.AppendString(ev, fileVersion)
	src := protowire.AppendTag(nil, 1, protowire.BytesType)
	ev = protowire.AppendTag(ev, eventSource, protowire.BytesType)
	ev = protowire.AppendBytes(ev, protowire.AppendString(src, sourceWriter))
	if err := w.write(ev); err != nil {
		f.Close()
		return nil, err
	}
	return w, nil
}

// Start writes SessionLog.START at step: TensorBoard then drops the events
// of earlier files in the directory at or after step, which a run killed
// after its last checkpoint had logged (tf.summary does the same on restart).
func (w *EventWriter) Start(step int64) error {
	var sl []byte
	sl = protowire.AppendTag(sl, sessionStatus, protowire.VarintType)
	sl = protowire.AppendVarint(sl, sessionStart)
	return w.event(step, eventSessionLog, sl)
}

// Scalar writes one scalar (add_scalar); TensorBoard stores it as float32.
func (w *EventWriter) Scalar(step int64, tag string, v float64) error {
	var val []byte
	val = protowire.AppendTag(val, valueTag, protowire.BytesType)
	val = protowire.AppendString(val, tag)
	val = protowire.AppendTag(val, valueSimpleValue, protowire.Fixed32Type)
	val = protowire.AppendFixed32(val, math.Float32bits(float32(v)))
	return w.event(step, eventSummary, summaryOf(val))
}

// Text writes a text summary for the text plugin (add_text: a DT_STRING
// tensor of shape [1] under tag+"/text_summary"); the dashboard renders it as
// Markdown, so a MarkdownTable shows as a table.
func (w *EventWriter) Text(step int64, tag, text string) error {
	var dim, shape, tensor, plugin, meta, val []byte
	dim = protowire.AppendTag(dim, dimSize, protowire.VarintType)
	dim = protowire.AppendVarint(dim, 1)
	shape = protowire.AppendTag(shape, shapeDim, protowire.BytesType)
	shape = protowire.AppendBytes(shape, dim)
	tensor = protowire.AppendTag(tensor, tensorDtype, protowire.VarintType)
	tensor = protowire.AppendVarint(tensor, dtString)
	tensor = protowire.AppendTag(tensor, tensorShape, protowire.BytesType)
	tensor = protowire.AppendBytes(tensor, shape)
	tensor = protowire.AppendTag(tensor, tensorStringVal, protowire.BytesType)
	tensor = protowire.AppendString(tensor, text)
	plugin = protowire.AppendTag(plugin, pluginName, protowire.BytesType)
	plugin = protowire.AppendString(plugin, "text") // content: TextPluginData{version: 0}, all defaults, so empty
	meta = protowire.AppendTag(meta, metadataPluginData, protowire.BytesType)
	meta = protowire.AppendBytes(meta, plugin)
	val = protowire.AppendTag(val, valueTag, protowire.BytesType)
	val = protowire.AppendString(val, tag+"/text_summary")
	val = protowire.AppendTag(val, valueTensor, protowire.BytesType)
	val = protowire.AppendBytes(val, tensor)
	val = protowire.AppendTag(val, valueMetadata, protowire.BytesType)
	val = protowire.AppendBytes(val, meta)
	return w.event(step, eventSummary, summaryOf(val))
}

// Close closes the file; it may be called twice.
func (w *EventWriter) Close() error {
	if w.f == nil {
		return nil
	}
	err := w.f.Close()
	w.f = nil
	return err
}

// summaryOf wraps one encoded Summary.Value in a Summary.
func summaryOf(val []byte) []byte {
	s := protowire.AppendTag(nil, summaryValue, protowire.BytesType)
	return protowire.AppendBytes(s, val)
}

// event writes an Event{wall_time: now, step, <field>: msg}.
func (w *EventWriter) event(step int64, field protowire.Number, msg []byte) error {
	ev := appendEventHead(nil, w.now(), step)
	ev = protowire.AppendTag(ev, field, protowire.BytesType)
	ev = protowire.AppendBytes(ev, msg)
	return w.write(ev)
}

// appendEventHead encodes wall_time and step; proto3 leaves zeros out.
func appendEventHead(b []byte, t time.Time, step int64) []byte {
	if wall := float64(t.Unix()) + float64(t.Nanosecond())/1e9; wall != 0 { // Python's time.time()
		b = protowire.AppendTag(b, eventWallTime, protowire.Fixed64Type)
		b = protowire.AppendFixed64(b, math.Float64bits(wall))
	}
	if step != 0 {
		b = protowire.AppendTag(b, eventStep, protowire.VarintType)
		b = protowire.AppendVarint(b, uint64(step))
	}
	return b
}

// write frames one event as a TFRecord and writes it in one call.
func (w *EventWriter) write(data []byte) error {
	if w.f == nil {
		return fmt.Errorf("tensorboard: %s is closed", w.Path)
	}
	if _, err := w.f.Write(tfRecord(data)); err != nil {
		return fmt.Errorf("tensorboard: %w", err)
	}
	return nil
}

// tfRecord frames data: length, its masked CRC, data, its masked CRC.
func tfRecord(data []byte) []byte {
	rec := make([]byte, 12, 12+len(data)+4)
	binary.LittleEndian.PutUint64(rec, uint64(len(data)))
	binary.LittleEndian.PutUint32(rec[8:], maskedCRC(rec[:8]))
	rec = append(rec, data...)
	return binary.LittleEndian.AppendUint32(rec, maskedCRC(data))
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// maskedCRC is TFRecord's CRC32C, rotated and offset so that a CRC of
// data holding CRCs stays well distributed (crc32c.h Mask).
func maskedCRC(b []byte) uint32 {
	c := crc32.Checksum(b, castagnoli)
	return (c>>15 | c<<17) + 0xa282ead8
}
