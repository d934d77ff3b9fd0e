#ifndef FEDTOP_CNCURSESW_SHIM_H
#define FEDTOP_CNCURSESW_SHIM_H
// ncursesw with its wide-character API. Swift cannot import function-like macros,
// so the ones the console needs are wrapped in static inline functions below.
#ifndef NCURSES_WIDECHAR
#define NCURSES_WIDECHAR 1
#endif
#ifndef _XOPEN_SOURCE_EXTENDED
#define _XOPEN_SOURCE_EXTENDED 1
#endif
#include <locale.h>
#include <ncursesw/curses.h>

static inline int fedtop_color_pair(int n) { return (int)COLOR_PAIR(n); }
static inline int fedtop_pair_number(int attrs) { return (int)PAIR_NUMBER(attrs); }
static inline int fedtop_getmaxy(WINDOW *w) { return getmaxy(w); }
static inline int fedtop_getmaxx(WINDOW *w) { return getmaxx(w); }
static inline int fedtop_getcury(WINDOW *w) { return getcury(w); }
static inline int fedtop_getcurx(WINDOW *w) { return getcurx(w); }
static inline WINDOW *fedtop_stdscr(void) { return stdscr; }
static inline int fedtop_colors(void) { return COLORS; }
static inline int fedtop_color_pairs(void) { return COLOR_PAIRS; }
static inline int fedtop_lines(void) { return LINES; }
static inline int fedtop_cols(void) { return COLS; }
static inline unsigned int fedtop_a_bold(void) { return A_BOLD; }
static inline unsigned int fedtop_a_dim(void) { return A_DIM; }
static inline unsigned int fedtop_a_reverse(void) { return A_REVERSE; }
static inline unsigned int fedtop_a_underline(void) { return A_UNDERLINE; }
static inline unsigned int fedtop_a_normal(void) { return A_NORMAL; }
static inline int fedtop_key_resize(void) { return KEY_RESIZE; }
static inline int fedtop_key_mouse(void) { return KEY_MOUSE; }
static inline int fedtop_key_up(void) { return KEY_UP; }
static inline int fedtop_key_down(void) { return KEY_DOWN; }
static inline int fedtop_key_left(void) { return KEY_LEFT; }
static inline int fedtop_key_right(void) { return KEY_RIGHT; }
static inline int fedtop_key_enter(void) { return KEY_ENTER; }
static inline int fedtop_key_backspace(void) { return KEY_BACKSPACE; }
static inline int fedtop_key_npage(void) { return KEY_NPAGE; }
static inline int fedtop_key_ppage(void) { return KEY_PPAGE; }
static inline int fedtop_key_home(void) { return KEY_HOME; }
static inline int fedtop_key_end(void) { return KEY_END; }
static inline int fedtop_key_btab(void) { return KEY_BTAB; }
static inline int fedtop_key_dc(void) { return KEY_DC; }
static inline int fedtop_key_code_yes(void) { return KEY_CODE_YES; }
static inline unsigned long fedtop_all_mouse_events(void) { return ALL_MOUSE_EVENTS; }
static inline unsigned long fedtop_button1_pressed(void) { return BUTTON1_PRESSED | BUTTON1_CLICKED; }
static inline unsigned long fedtop_button4_pressed(void) { return BUTTON4_PRESSED; }
#ifdef BUTTON5_PRESSED
static inline unsigned long fedtop_button5_pressed(void) { return BUTTON5_PRESSED; }
#else
static inline unsigned long fedtop_button5_pressed(void) { return 0; }
#endif
/// Reads one key or character into *ch; returns OK, KEY_CODE_YES (a function key) or ERR (timeout).
static inline int fedtop_get_wch(wint_t *ch) { return wget_wch(stdscr, ch); }
/// Reads the pending mouse event: x, y and its button state; ERR when there is none.
static inline int fedtop_get_mouse(int *x, int *y, unsigned long *bstate) {
    MEVENT ev;
    if (getmouse(&ev) != OK) return ERR;
    *x = ev.x; *y = ev.y; *bstate = (unsigned long)ev.bstate;
    return OK;
}
static inline int fedtop_ok(void) { return OK; }
static inline int fedtop_err(void) { return ERR; }
/// Writes one wide character with attributes and a colour pair at (y, x).
static inline int fedtop_put_wide(int y, int x, wchar_t ch, unsigned int attrs, short pair) {
    cchar_t cell;
    wchar_t text[2] = { ch, 0 };
    if (setcchar(&cell, text, (attr_t)attrs, pair, NULL) != OK) return ERR;
    return mvadd_wch(y, x, &cell);
}
// Last, so its capability macros (lines, columns, ...) cannot touch the functions above.
#include <ncursesw/term.h>
/// 1 when this machine has a terminfo entry called `name` (setupterm, which, unlike initscr,
/// answers instead of exiting); the entry it loaded is freed and the current terminal kept.
static inline int fedtop_terminfo_known(const char *name) {
    int err = 0;
    TERMINAL *saved = cur_term;
    if (setupterm((char *)name, 1, &err) != OK) { set_curterm(saved); return 0; }
    TERMINAL *loaded = set_curterm(saved);
    if (loaded != saved) del_curterm(loaded);
    return 1;
}
#endif
