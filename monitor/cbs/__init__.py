"""CBS Kerncijfers wijken en buurten (KWB): the variable spec, the reader and the writer."""
