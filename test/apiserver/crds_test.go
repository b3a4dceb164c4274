package apiserver

import (
	"context"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
)

var crdFiles = flag.String("crds", os.Getenv("APISERVER_CRDS"),
	"CustomResourceDefinition files installed before the scenarios, separated by "+string(os.PathListSeparator)+
		" (env APISERVER_CRDS; test/apiserver/crds.sh prints them)")

// installCRDs applies the CRDs of the given files (as a scenario: applied, established, re-applied without
// change), so that the scenarios' custom resources (Argo CD Applications, Flux Kustomizations ...) are
// validated against their real schemas.
func (c *cluster) installCRDs(ctx context.Context, files string) error {
	if files == "" {
		return nil
	}
	s := scenario{dir: "crds"}
	for _, f := range filepath.SplitList(files) {
		objs, err := readObjects(f)
		if err != nil {
			return err
		}
		s.objects = append(s.objects, objs...)
	}
	if problems, _ := c.run(ctx, s, "crds"); len(problems) > 0 {
		return errors.New(strings.Join(problems, "\n"))
	}
	return nil
}
