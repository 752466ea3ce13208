package bert

import (
	"fmt"

	"github.com/gotrl/gotrl/pkg/models"
)

func init() {
	models.Register("bert", func(dir string, config []byte, o models.Options) (models.Model, error) {
		c, err := ParseConfig(config)
		if err != nil {
			return nil, fmt.Errorf("bert config %s: %w", dir, err)
		}
		return Load(dir, c, o.Architecture, o.Device, o.Partial)
	})
}
