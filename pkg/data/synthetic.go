package data

import (
	"bufio"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// The synthetic corpus behind `make demo`: small, deterministic, generated
// by gotrl itself so a fresh clone needs no downloaded data. It mimics the
// book's CSL practical (paper abstract → title) with templated Chinese
// abstracts whose title is recoverable from the text, so a tiny GPT-2 can
// visibly learn the task on CPU in minutes.

var (
	synthMethods = []string{"深度学习", "图神经网络", "注意力机制", "强化学习", "迁移学习", "知识蒸馏", "对比学习", "贝叶斯推断", "遗传算法", "随机森林", "卷积网络", "预训练模型"}
	synthTasks   = []string{"文本分类", "图像识别", "机器翻译", "故障诊断", "情感分析", "关系抽取", "语音识别", "推荐系统", "问答系统", "摘要生成", "目标检测", "异常检测"}
	synthDomains = []string{"医疗", "金融", "交通", "教育", "电力", "农业", "法律", "制造", "通信", "气象"}
	synthOpen    = []string{"本文研究了", "本文提出了", "针对", "为了解决"}
	synthClose   = []string{"实验结果表明该方法有效。", "实验表明准确率明显提高。", "结果验证了方法的可行性。", "在多个数据集上取得了较好的效果。"}
)

// SynthPaper is one generated abstract with its title parts.
type SynthPaper struct {
	Abstract, Title string
	Method, Task    string
	Domain          string
}

// SynthPapers returns n deterministic abstract/title pairs.
func SynthPapers(n int, seed uint64) []SynthPaper {
	r := newRand(seed, streamSynth)
	out := make([]SynthPaper, n)
	for i := range out {
		m := synthMethods[r.IntN(len(synthMethods))]
		t := synthTasks[r.IntN(len(synthTasks))]
		d := synthDomains[r.IntN(len(synthDomains))]
		var b strings.Builder
		open := synthOpen[r.IntN(len(synthOpen))]
		switch open {
		case "针对", "为了解决":
			fmt.Fprintf(&b, "%s%s领域的%s问题，本文提出一种基于%s的方法。", open, d, t, m)
		default:
			fmt.Fprintf(&b, "%s基于%s的%s方法，并应用于%s领域。", open, m, t, d)
		}
		b.WriteString(synthClose[r.IntN(len(synthClose))])
		out[i] = SynthPaper{Abstract: b.String(), Title: fmt.Sprintf("基于%s的%s%s研究", m, d, t), Method: m, Task: t, Domain: d}
	}
	return out
}

// synthRanked orders a paper's candidate titles best to worst: the true
// title, one with a wrong method, one with the task dropped, and a random
// string — the shape of the book's RewardRank lists.
func synthRanked(p SynthPaper, r *rand.Rand) Ranked {
	wrong := synthMethods[r.IntN(len(synthMethods))]
	for wrong == p.Method {
		wrong = synthMethods[r.IntN(len(synthMethods))]
	}
	chars := []rune(p.Abstract)
	var junk strings.Builder
	for range 8 {
		junk.WriteRune(chars[r.IntN(len(chars))])
	}
	return Ranked{Prompt: p.Abstract, Responses: []string{
		p.Title,
		fmt.Sprintf("基于%s的%s%s研究", wrong, p.Domain, p.Task),
		fmt.Sprintf("基于%s的研究", p.Method),
		junk.String(),
	}}
}

// WriteSynthetic writes the demo data set into dir: corpus.txt (one
// document per line, for pretraining), sft.jsonl and sft_eval.jsonl
// (prompt/response), ranked.jsonl (prompt/responses best→worst, for the
// reward model), prompts.jsonl (prompts for PPO) and vocab.txt (a
// BERT-style character vocabulary covering every text). It returns the
// file names written.
func WriteSynthetic(dir string, n int, seed uint64) ([]string, error) {
	if n < 20 {
		return nil, fmt.Errorf("synthetic data: n = %d, want at least 20", n)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	papers := SynthPapers(n, seed)
	nEval := n / 10
	r := newRand(seed, streamRank)
	files := map[string][]any{}
	var corpus []string
	for i, p := range papers {
		corpus = append(corpus, p.Abstract+p.Title)
		ex := Example{Prompt: p.Abstract, Response: p.Title}
		if i < nEval {
			files["sft_eval.jsonl"] = append(files["sft_eval.jsonl"], ex)
		} else {
			files["sft.jsonl"] = append(files["sft.jsonl"], ex)
		}
		files["ranked.jsonl"] = append(files["ranked.jsonl"], synthRanked(p, r))
		files["prompts.jsonl"] = append(files["prompts.jsonl"], Example{Prompt: p.Abstract})
	}
	written := []string{}
	if err := writeLines(filepath.Join(dir, "corpus.txt"), corpus); err != nil {
		return nil, err
	}
	written = append(written, "corpus.txt")
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		lines := make([]string, len(files[name]))
		for i, v := range files[name] {
			b, err := json.Marshal(v)
			if err != nil {
				return nil, err
			}
			lines[i] = string(b)
		}
		if err := writeLines(filepath.Join(dir, name), lines); err != nil {
			return nil, err
		}
		written = append(written, name)
	}
	if err := writeLines(filepath.Join(dir, "vocab.txt"), synthVocab(corpus, files["ranked.jsonl"])); err != nil {
		return nil, err
	}
	return append(written, "vocab.txt"), nil
}

// synthVocab lists BERT's special tokens then every character used, sorted.
func synthVocab(corpus []string, ranked []any) []string {
	seen := map[rune]bool{}
	add := func(s string) {
		for _, c := range s {
			seen[c] = true
		}
	}
	for _, s := range corpus {
		add(s)
	}
	for _, v := range ranked {
		for _, s := range v.(Ranked).Responses {
			add(s)
		}
	}
	chars := make([]string, 0, len(seen))
	for c := range seen {
		chars = append(chars, string(c))
	}
	sort.Strings(chars)
	return append([]string{"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"}, chars...)
}

func writeLines(path string, lines []string) error {
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	for _, l := range lines {
		w.WriteString(l)
		w.WriteByte('\n')
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return os.Rename(tmp, path)
}
