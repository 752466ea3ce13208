package prompt_test

import (
	"fmt"

	"github.com/gotrl/gotrl/pkg/prompt"
)

func ExampleParse() {
	_, err := prompt.Parse("", "Review: {txet_a} Sentiment: {mask}", prompt.Cloze, "text_a", "text_b")
	fmt.Println(err)
	t, _ := prompt.Parse("book", "{mask}满意。{text_a|trunc}", prompt.Cloze)
	fmt.Println(t.Fields(), t.Masks())
	// Output:
	// template:1:10: unknown placeholder "{txet_a}" (did you mean "{text_a}"?)
	// [text_a] 1
}

func ExampleCoT_Prompt() {
	c := prompt.Chinese()
	fmt.Println(c.Prompt("小明有3个苹果，又买了2个，现在有几个？"))
	a, _ := c.Answer("3加2等于5，所以答案是5个。", prompt.Numbers)
	fmt.Println(a)
	// Output:
	// 问题：小明有3个苹果，又买了2个，现在有几个？
	// 答案：让我们一步一步地思考。
	// 5
}
