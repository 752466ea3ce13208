package tokenizer

import "testing"

func TestJoinCJK(t *testing.T) {
	cases := []struct{ in, want string }{
		{"基 于 图 神 经 网 络 的 研 究", "基于图神经网络的研究"},
		{"我 爱 NLP 和 GPT - 2 。", "我爱NLP和GPT - 2。"},
		{"hello world", "hello world"},
		{"价 格 100 元 ， 很 好", "价格100元，很好"},
		{"", ""},
		{" 开头", " 开头"},
	}
	for _, c := range cases {
		if got := JoinCJK(c.in); got != c.want {
			t.Errorf("JoinCJK(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
