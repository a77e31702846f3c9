/* replay.h: the gcc replay main of a fuzz target for make check: each file named on the command line (the corpus, kept crashes) goes through LLVMFuzzerTestOneInput once. Include it last, with FUZZ_NAME defined. */
#ifndef VIGIL_FUZZ_REPLAY_H
#define VIGIL_FUZZ_REPLAY_H
#ifdef FUZZ_REPLAY_MAIN

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static int replay(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	long n;

	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0) {
		perror(path);
		if (f != NULL)
			fclose(f);
		return 1;
	}
	buf = malloc(n ? (size_t)n : 1);
	if (buf == NULL || fread(buf, 1, (size_t)n, f) != (size_t)n) {
		perror(path);
		free(buf);
		fclose(f);
		return 1;
	}
	fclose(f);
	LLVMFuzzerTestOneInput(buf, (size_t)n);
	free(buf);
	return 0;
}

int main(int argc, char **argv)
{
	int bad = 0;

	for (int i = 1; i < argc; i++)
		bad |= replay(argv[i]);
	printf("%s: %d inputs replayed%s\n", FUZZ_NAME, argc - 1, bad ? ", some unreadable" : "");
	return bad;
}

#endif /* FUZZ_REPLAY_MAIN */
#endif /* VIGIL_FUZZ_REPLAY_H */
