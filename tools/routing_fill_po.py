"""Fill a room's English catalogue from a dict: python tools/fill_po.py PO DICT_MODULE_PATH"""

import importlib.util
import sys

from babel.messages.pofile import read_po, write_po

po_path, dict_path = sys.argv[1], sys.argv[2]
spec = importlib.util.spec_from_file_location("en", dict_path)
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
with open(po_path, "rb") as handle:
    catalogue = read_po(handle)
missing = []
for message in catalogue:
    if message.id and not message.string:
        english = module.EN.get(message.id)
        if english:
            message.string = english
            message.flags.discard("fuzzy")
        else:
            missing.append(message.id)
with open(po_path, "wb") as handle:
    write_po(handle, catalogue, width=0)
print(f"missing: {missing}" if missing else "all messages translated")
