import sys
sys.path.insert(0, "/work/main/src")
from ruamel.yaml import YAML
from pydantic import ValidationError
from smpolicy._packmodel import RegulationPack
for path in sys.argv[1:]:
    data = YAML(typ="safe").load(open(path, encoding="utf-8"))
    try:
        pack = RegulationPack.model_validate(data)
    except ValidationError as exc:
        for err in exc.errors():
            loc = ".".join(str(p) for p in err["loc"])
            print(f"{path}: {loc}: {err['msg']}")
        sys.exit(1)
    print(f"{path}: OK, {len(pack.entries)} entries, topics:",
          sorted({t for e in pack.entries for t in e.topics}))
