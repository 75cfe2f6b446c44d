; Embeds the flat trampoline binary in the loader.
section .rodata
global tramp_blob:data hidden
global tramp_blob_end:data hidden
tramp_blob:
	incbin TRAMP_BIN
tramp_blob_end:
section .note.GNU-stack noalloc noexec nowrite progbits
