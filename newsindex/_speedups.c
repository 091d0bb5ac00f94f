/* Compiled versions of two indexing kernels; _kernels.py holds the Python
 * versions, which are the reference (same results, tested both ways) and
 * which run wherever this module was not built (no compiler at install).
 *
 * chunk_ids(text, table): a text's chunks (pieces between spaces, tabs and
 *     line breaks; see _tokens.split_chunks) looked up in a segment's chunk
 *     table, as native uint32 ids and character offsets.
 * minhash(words, multipliers, increments, min_shingles): the 16-bit MinHash
 *     positions of a text's three-word shingles (see _signatures.py).
 * chunk_word_ids(chunks, known, resolve): the ids of the written words of
 *     each chunk, for the vocabulary of written words (_vocabulary.py).
 * word_ends(text, starts, cache): where the indexed words beginning at
 *     starts end, for snippets (_analysis.Analyzer.word_ends).
 * join_records(records, shifts): posting records (_postings.py) of segments
 *     without deletions joined into one, as a merge writes it.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

/* -- chunk_ids ----------------------------------------------------------- */

static int
is_chunk_separator(Py_UCS4 c)
{
    return c == ' ' || c == '\n' || c == '\r' || c == '\t';
}

/* The id of ``chunk`` in ``table`` (a dict whose __missing__ assigns one);
 * -1 with an exception set on failure. */
static long long
lookup_id(PyObject *table, PyObject *chunk)
{
    PyObject *found = PyDict_GetItemWithError(table, chunk); /* borrowed */
    long long id;
    if (found != NULL) {
        return PyLong_AsLongLong(found);
    }
    if (PyErr_Occurred()) {
        return -1;
    }
    found = PyObject_GetItem(table, chunk); /* calls __missing__ */
    if (found == NULL) {
        return -1;
    }
    id = PyLong_AsLongLong(found);
    Py_DECREF(found);
    return id;
}

static PyObject *
chunk_ids(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    PyObject *text, *table, *ids = NULL, *starts = NULL, *result = NULL;
    Py_ssize_t length, count = 1, i, begin = 0, at = 0;
    uint32_t *id_out, *start_out;
    const void *data;
    int kind;

    if (nargs != 2 || !PyUnicode_Check(args[0]) || !PyDict_Check(args[1])) {
        PyErr_SetString(PyExc_TypeError, "chunk_ids(text: str, table: dict)");
        return NULL;
    }
    text = args[0];
    table = args[1];
    length = PyUnicode_GET_LENGTH(text);
    if (length >= UINT32_MAX) {
        PyErr_SetString(PyExc_ValueError, "text too long for 32-bit offsets");
        return NULL;
    }
    kind = PyUnicode_KIND(text);
    data = PyUnicode_DATA(text);
    for (i = 0; i < length; i++) {
        count += is_chunk_separator(PyUnicode_READ(kind, data, i));
    }
    ids = PyBytes_FromStringAndSize(NULL, count * (Py_ssize_t)sizeof(uint32_t));
    starts = PyBytes_FromStringAndSize(NULL, count * (Py_ssize_t)sizeof(uint32_t));
    if (ids == NULL || starts == NULL) {
        goto done;
    }
    id_out = (uint32_t *)PyBytes_AS_STRING(ids);
    start_out = (uint32_t *)PyBytes_AS_STRING(starts);
    for (i = 0; i <= length; i++) {
        PyObject *chunk;
        long long id;
        if (i < length && !is_chunk_separator(PyUnicode_READ(kind, data, i))) {
            continue;
        }
        chunk = PyUnicode_Substring(text, begin, i);
        if (chunk == NULL) {
            goto done;
        }
        id = lookup_id(table, chunk);
        Py_DECREF(chunk);
        if (id < 0 || id > (long long)UINT32_MAX) {
            if (!PyErr_Occurred()) {
                PyErr_SetString(PyExc_OverflowError, "chunk id out of range");
            }
            goto done;
        }
        id_out[at] = (uint32_t)id;
        start_out[at] = (uint32_t)begin;
        at++;
        begin = i + 1;
    }
    result = PyTuple_Pack(2, ids, starts);
done:
    Py_XDECREF(ids);
    Py_XDECREF(starts);
    return result;
}

/* -- minhash ------------------------------------------------------------- */

#define SHINGLE_WORDS 3
#define MAX_POSITIONS 256

static uint32_t crc_table[256];

static void
init_crc_table(void)
{
    for (uint32_t n = 0; n < 256; n++) {
        uint32_t c = n;
        for (int k = 0; k < 8; k++) {
            c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        }
        crc_table[n] = c;
    }
}

/* CRC-32 as zlib.crc32 computes it. */
static uint64_t
crc32_of(const unsigned char *p, Py_ssize_t n)
{
    uint32_t c = 0xFFFFFFFFu;
    for (Py_ssize_t i = 0; i < n; i++) {
        c = crc_table[(c ^ p[i]) & 0xFF] ^ (c >> 8);
    }
    return (uint64_t)(c ^ 0xFFFFFFFFu);
}

static const uint64_t MIX[4] = {
    0x9E3779B97F4A7C15ull,
    0xC2B2AE3D27D4EB4Full,
    0x165667B19E3779F9ull,
    0xFF51AFD7ED558CCDull,
};

static PyObject *
minhash(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    Py_buffer words = {0}, mult = {0}, inc = {0};
    PyObject *result = NULL;
    const unsigned char *p, *end;
    const uint64_t *a, *b;
    uint64_t least[MAX_POSITIONS], window[SHINGLE_WORDS] = {0, 0, 0};
    Py_ssize_t positions, seen = 0, shingles = 0, min_shingles;

    if (nargs != 4) {
        PyErr_SetString(PyExc_TypeError,
                        "minhash(words, multipliers, increments, min_shingles)");
        return NULL;
    }
    min_shingles = PyLong_AsSsize_t(args[3]);
    if (min_shingles == -1 && PyErr_Occurred()) {
        return NULL;
    }
    if (PyObject_GetBuffer(args[0], &words, PyBUF_SIMPLE) < 0 ||
        PyObject_GetBuffer(args[1], &mult, PyBUF_SIMPLE) < 0 ||
        PyObject_GetBuffer(args[2], &inc, PyBUF_SIMPLE) < 0) {
        goto done;
    }
    positions = mult.len / (Py_ssize_t)sizeof(uint64_t);
    if (mult.len != inc.len || mult.len % sizeof(uint64_t) != 0 ||
        positions > MAX_POSITIONS) {
        PyErr_SetString(PyExc_ValueError, "bad multipliers or increments");
        goto done;
    }
    a = (const uint64_t *)mult.buf;
    b = (const uint64_t *)inc.buf;
    for (Py_ssize_t j = 0; j < positions; j++) {
        least[j] = UINT64_MAX;
    }
    p = (const unsigned char *)words.buf;
    end = p + words.len;
    /* Words are runs of bytes other than the space (the caller has turned
     * every other separator into one). */
    while (p < end) {
        const unsigned char *start;
        uint64_t h;
        if (*p == ' ') {
            p++;
            continue;
        }
        start = p;
        while (p < end && *p != ' ') {
            p++;
        }
        window[0] = window[1];
        window[1] = window[2];
        window[2] = crc32_of(start, p - start);
        if (++seen < SHINGLE_WORDS) {
            continue;
        }
        h = window[0] * MIX[0] + window[1] * MIX[1] + window[2] * MIX[2];
        h ^= h >> 33;
        h *= MIX[3];
        h ^= h >> 33;
        for (Py_ssize_t j = 0; j < positions; j++) {
            uint64_t v = h * a[j] + b[j];
            least[j] = v < least[j] ? v : least[j];
        }
        shingles++;
    }
    if (shingles < min_shingles) {
        result = Py_NewRef(Py_None);
        goto done;
    }
    result = PyBytes_FromStringAndSize(NULL, positions * 2);
    if (result != NULL) {
        unsigned char *out = (unsigned char *)PyBytes_AS_STRING(result);
        for (Py_ssize_t j = 0; j < positions; j++) {
            uint16_t kept = (uint16_t)((least[j] >> 24) & 0xFFFF);
            out[2 * j] = (unsigned char)(kept & 0xFF); /* little-endian */
            out[2 * j + 1] = (unsigned char)(kept >> 8);
        }
    }
done:
    if (words.obj) {
        PyBuffer_Release(&words);
    }
    if (mult.obj) {
        PyBuffer_Release(&mult);
    }
    if (inc.obj) {
        PyBuffer_Release(&inc);
    }
    return result;
}

/* -- chunk_word_ids ------------------------------------------------------ */

/* Append ``value`` (an int, or None for -1) to a growing int64 buffer. */
typedef struct {
    int64_t *items;
    Py_ssize_t length, capacity;
} Int64s;

static int
int64s_append(Int64s *list, int64_t value)
{
    if (list->length == list->capacity) {
        Py_ssize_t capacity = list->capacity ? 2 * list->capacity : 1024;
        int64_t *grown = PyMem_Realloc(list->items, capacity * sizeof(int64_t));
        if (grown == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        list->items = grown;
        list->capacity = capacity;
    }
    list->items[list->length++] = value;
    return 0;
}

static PyObject *
int64s_bytes(Int64s *list)
{
    return PyBytes_FromStringAndSize((const char *)list->items,
                                     list->length * (Py_ssize_t)sizeof(int64_t));
}

/* The id of a written word: from ``known``, or from ``resolve(word)``,
 * remembered in ``known``; -1 for None (a word left out), -2 on error. */
static int64_t
word_id(PyObject *known, PyObject *resolve, PyObject *word)
{
    PyObject *found = PyDict_GetItemWithError(known, word); /* borrowed */
    int64_t id;
    if (found == NULL) {
        if (PyErr_Occurred()) {
            return -2;
        }
        found = PyObject_CallOneArg(resolve, word);
        if (found == NULL) {
            return -2;
        }
        if (PyDict_SetItem(known, word, found) < 0) {
            Py_DECREF(found);
            return -2;
        }
        Py_DECREF(found); /* known holds it */
    }
    if (found == Py_None) {
        return -1;
    }
    id = PyLong_AsLongLong(found);
    if (id < 0) {
        if (!PyErr_Occurred()) {
            PyErr_SetString(PyExc_ValueError, "word ids must not be negative");
        }
        return -2;
    }
    return id;
}

static PyObject *
chunk_word_ids(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    PyObject *chunks, *known, *resolve, *result = NULL, *ptr_bytes, *id_bytes;
    Int64s ptr = {0}, ids = {0};
    Py_ssize_t c;

    if (nargs != 3 || !PyList_Check(args[0]) || !PyDict_Check(args[1])) {
        PyErr_SetString(PyExc_TypeError,
                        "chunk_word_ids(chunks: list, known: dict, resolve)");
        return NULL;
    }
    chunks = args[0];
    known = args[1];
    resolve = args[2];
    if (int64s_append(&ptr, 0) < 0) {
        goto done;
    }
    for (c = 0; c < PyList_GET_SIZE(chunks); c++) { /* resolve() may change it */
        PyObject *chunk = PyList_GET_ITEM(chunks, c);
        Py_ssize_t length, i = 0;
        const void *data;
        int kind;
        if (!PyUnicode_Check(chunk)) {
            PyErr_SetString(PyExc_TypeError, "chunks must be str");
            goto done;
        }
        Py_INCREF(chunk);
        length = PyUnicode_GET_LENGTH(chunk);
        kind = PyUnicode_KIND(chunk);
        data = PyUnicode_DATA(chunk);
        /* Runs of letters and digits: the pattern [^\W_]+. */
        while (i < length) {
            Py_ssize_t begin;
            PyObject *word;
            int64_t id;
            if (!Py_UNICODE_ISALNUM(PyUnicode_READ(kind, data, i))) {
                i++;
                continue;
            }
            begin = i;
            while (i < length && Py_UNICODE_ISALNUM(PyUnicode_READ(kind, data, i))) {
                i++;
            }
            word = PyUnicode_Substring(chunk, begin, i);
            if (word == NULL) {
                Py_DECREF(chunk);
                goto done;
            }
            id = word_id(known, resolve, word);
            Py_DECREF(word);
            if (id == -2 || (id >= 0 && int64s_append(&ids, id) < 0)) {
                Py_DECREF(chunk);
                goto done;
            }
        }
        Py_DECREF(chunk);
        if (int64s_append(&ptr, ids.length) < 0) {
            goto done;
        }
    }
    ptr_bytes = int64s_bytes(&ptr);
    id_bytes = int64s_bytes(&ids);
    if (ptr_bytes != NULL && id_bytes != NULL) {
        result = PyTuple_Pack(2, ptr_bytes, id_bytes);
    }
    Py_XDECREF(ptr_bytes);
    Py_XDECREF(id_bytes);
done:
    PyMem_Free(ptr.items);
    PyMem_Free(ids.items);
    return result;
}

/* -- word_ends ----------------------------------------------------------- */

/* A letter as the pattern [^\W\d_] sees one. */
static int
is_letter(Py_UCS4 c)
{
    return Py_UNICODE_ISALNUM(c) && !Py_UNICODE_ISDECIMAL(c) && c != '_';
}

static PyObject *
word_ends(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    PyObject *text, *starts, *cache, *ends = NULL;
    Py_ssize_t length, n, i;
    const void *data;
    int kind;

    if (nargs != 3 || !PyUnicode_Check(args[0]) || !PyList_Check(args[1]) ||
        !PyDict_Check(args[2])) {
        PyErr_SetString(PyExc_TypeError,
                        "word_ends(text: str, starts: list, cache: dict)");
        return NULL;
    }
    text = args[0];
    starts = args[1];
    cache = args[2];
    length = PyUnicode_GET_LENGTH(text);
    kind = PyUnicode_KIND(text);
    data = PyUnicode_DATA(text);
    n = PyList_GET_SIZE(starts);
    ends = PyList_New(n);
    if (ends == NULL) {
        return NULL;
    }
    for (i = 0; i < n; i++) {
        Py_ssize_t start = PyLong_AsSsize_t(PyList_GET_ITEM(starts, i));
        Py_ssize_t end, answer = -2;
        PyObject *word, *analysis, *item;
        if (start == -1 && PyErr_Occurred()) {
            goto fail;
        }
        end = start;
        while (start >= 0 && end < length && is_letter(PyUnicode_READ(kind, data, end))) {
            end++;
        }
        /* A run of letters ending before anything but a hyphen or a digit is
         * the pattern's whole match there; its cached analysis decides. */
        if (end > start &&
            (end == length || (PyUnicode_READ(kind, data, end) != '-' &&
                               !Py_UNICODE_ISDECIMAL(PyUnicode_READ(kind, data, end))))) {
            word = PyUnicode_Substring(text, start, end);
            if (word == NULL) {
                goto fail;
            }
            analysis = PyDict_GetItemWithError(cache, word); /* borrowed */
            Py_DECREF(word);
            if (analysis == NULL && PyErr_Occurred()) {
                goto fail;
            }
            if (analysis != NULL && PyUnicode_Check(analysis)) {
                answer = PyUnicode_GET_LENGTH(analysis) ? end : -1;
            }
        }
        item = PyLong_FromSsize_t(answer);
        if (item == NULL) {
            goto fail;
        }
        PyList_SET_ITEM(ends, i, item);
    }
    return ends;
fail:
    Py_DECREF(ends);
    return NULL;
}

/* -- join_records -------------------------------------------------------- */

/* The posting record layout of _postings.py. */
#define RECORD_HEADER 9
#define HAS_TFS 1
#define HAS_POSITIONS 2
#define SHORT_POSITIONS 4
#define HAS_STARTS 8

static uint32_t
read_u32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

static void
write_u32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
    p[2] = (unsigned char)(v >> 16);
    p[3] = (unsigned char)(v >> 24);
}

/* What one record holds, found by the first pass. */
typedef struct {
    Py_buffer view;
    uint32_t shift;
    /* positions at [positions_at, starts_at), starts at [starts_at, end) */
    Py_ssize_t count, occurrences, positions_at, starts_at, end;
} RecordParts;

/* 1: laid out like the others (and ``*flags`` set by the first); 0: differs
 * (the caller falls back to decoding); -1: truncated, with an exception. */
static int
read_parts(RecordParts *r, int *flags)
{
    const unsigned char *p = (const unsigned char *)r->view.buf;
    Py_ssize_t length = r->view.len, at, width, each;
    int these;
    if (length < RECORD_HEADER) {
        PyErr_SetString(PyExc_ValueError, "posting record is truncated");
        return -1;
    }
    these = p[8];
    if (memcmp(p, "NXp1", 4) != 0 || (*flags >= 0 && these != *flags)) {
        return 0;
    }
    *flags = these;
    if ((these & HAS_TFS) && !(these & HAS_POSITIONS)) {
        return 0;
    }
    r->count = read_u32(p + 4);
    if (r->count == 0) {
        return 0;
    }
    at = RECORD_HEADER + 4 * r->count + ((these & HAS_TFS) ? 2 * r->count : 0);
    if (length < at) {
        PyErr_SetString(PyExc_ValueError, "posting record is truncated");
        return -1;
    }
    r->occurrences = 0;
    r->positions_at = r->starts_at = r->end = at;
    if (these & HAS_POSITIONS) {
        width = (these & SHORT_POSITIONS) ? 2 : 4;
        each = width + ((these & HAS_STARTS) ? 4 : 0);
        if ((length - at) % each != 0) {
            return 0;
        }
        r->occurrences = (length - at) / each;
        r->positions_at = at;
        r->starts_at = at + width * r->occurrences;
        r->end = length;
    }
    return 1;
}

static PyObject *
join(RecordParts *parts, Py_ssize_t n, int flags)
{
    Py_ssize_t documents = 0, occurrences = 0, size = RECORD_HEADER, i, k;
    PyObject *joined, *result;
    unsigned char *out;
    uint32_t first = 0, last = 0;
    for (i = 0; i < n; i++) {
        documents += parts[i].count;
        occurrences += parts[i].occurrences;
        size += parts[i].end - RECORD_HEADER;
    }
    if (documents > (Py_ssize_t)UINT32_MAX) {
        PyErr_SetString(PyExc_OverflowError, "too many documents in one record");
        return NULL;
    }
    joined = PyBytes_FromStringAndSize(NULL, size);
    if (joined == NULL) {
        return NULL;
    }
    out = (unsigned char *)PyBytes_AS_STRING(joined);
    memcpy(out, "NXp1", 4);
    write_u32(out + 4, (uint32_t)documents);
    out[8] = (unsigned char)flags;
    out += RECORD_HEADER;
    /* Document numbers, moved; then frequencies, positions, starts. */
    for (i = 0; i < n; i++) {
        const unsigned char *ids =
            (const unsigned char *)parts[i].view.buf + RECORD_HEADER;
        for (k = 0; k < parts[i].count; k++, out += 4) {
            last = read_u32(ids + 4 * k) + parts[i].shift;
            write_u32(out, last);
            if (i == 0 && k == 0) {
                first = last;
            }
        }
    }
    if (flags & HAS_TFS) {
        for (i = 0; i < n; i++) {
            const unsigned char *p = parts[i].view.buf;
            memcpy(out, p + RECORD_HEADER + 4 * parts[i].count, 2 * parts[i].count);
            out += 2 * parts[i].count;
        }
    }
    for (i = 0; i < n; i++) {
        const unsigned char *p = parts[i].view.buf;
        Py_ssize_t bytes = parts[i].starts_at - parts[i].positions_at;
        memcpy(out, p + parts[i].positions_at, bytes);
        out += bytes;
    }
    for (i = 0; i < n; i++) {
        const unsigned char *p = parts[i].view.buf;
        Py_ssize_t bytes = parts[i].end - parts[i].starts_at;
        memcpy(out, p + parts[i].starts_at, bytes);
        out += bytes;
    }
    result = Py_BuildValue("(NnnII)", joined, documents, occurrences, first, last);
    return result;
}

static PyObject *
join_records(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    PyObject *records = NULL, *shifts = NULL, *result = NULL;
    RecordParts *parts = NULL;
    Py_ssize_t n, i, got = 0;
    int flags = -1, laid_out = 1;

    if (nargs != 2) {
        PyErr_SetString(PyExc_TypeError, "join_records(records, shifts)");
        return NULL;
    }
    records = PySequence_Fast(args[0], "records must be a sequence");
    shifts = PySequence_Fast(args[1], "shifts must be a sequence");
    if (records == NULL || shifts == NULL) {
        goto done;
    }
    n = PySequence_Fast_GET_SIZE(records);
    if (n != PySequence_Fast_GET_SIZE(shifts)) {
        PyErr_SetString(PyExc_ValueError, "records and shifts differ in length");
        goto done;
    }
    parts = PyMem_Calloc(n ? n : 1, sizeof(RecordParts));
    if (parts == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    for (i = 0; i < n && laid_out == 1; i++) {
        PyObject *record = PySequence_Fast_GET_ITEM(records, i);
        unsigned long shift =
            PyLong_AsUnsignedLong(PySequence_Fast_GET_ITEM(shifts, i));
        if (PyErr_Occurred()) {
            goto done;
        }
        if (shift > UINT32_MAX) {
            PyErr_SetString(PyExc_OverflowError, "shift out of range");
            goto done;
        }
        if (PyObject_GetBuffer(record, &parts[i].view, PyBUF_SIMPLE) < 0) {
            goto done;
        }
        got = i + 1;
        parts[i].shift = (uint32_t)shift;
        laid_out = read_parts(&parts[i], &flags);
        if (laid_out < 0) {
            goto done;
        }
    }
    if (laid_out == 0 || n == 0) {
        result = Py_NewRef(Py_None);
    }
    else {
        result = join(parts, n, flags);
    }
done:
    for (i = 0; i < got; i++) {
        PyBuffer_Release(&parts[i].view);
    }
    PyMem_Free(parts);
    Py_XDECREF(records);
    Py_XDECREF(shifts);
    return result;
}

/* -- the module ---------------------------------------------------------- */

static PyMethodDef methods[] = {
    {"chunk_ids", (PyCFunction)(void (*)(void))chunk_ids, METH_FASTCALL,
     "The ids (looked up in a chunk table) and offsets of a text's chunks, "
     "as native uint32 bytes."},
    {"minhash", (PyCFunction)(void (*)(void))minhash, METH_FASTCALL,
     "The 16-bit MinHash positions of a text's shingles, or None when it "
     "has fewer than min_shingles."},
    {"chunk_word_ids", (PyCFunction)(void (*)(void))chunk_word_ids, METH_FASTCALL,
     "For each chunk, the ids of its written words (runs of letters and "
     "digits), found in known or given by resolve; as int64 bytes."},
    {"word_ends", (PyCFunction)(void (*)(void))word_ends, METH_FASTCALL,
     "The end of the indexed word at each start, -1 where none is, -2 where "
     "the analyzer must be asked."},
    {"join_records", (PyCFunction)(void (*)(void))join_records, METH_FASTCALL,
     "One posting record holding the lists of records, each one's document "
     "numbers moved by its shift, or None when their layouts differ."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT, "newsindex._speedups",
    "Compiled indexing kernels (see _kernels.py).", -1, methods,
};

PyMODINIT_FUNC
PyInit__speedups(void)
{
    init_crc_table();
    return PyModule_Create(&module_def);
}
