// A list of any length drawn as the rows in view only: a spacer gives the scroll height, and the rows of the
// window the server sent are placed at their offsets. Scrolling asks for another window (`onWindow`).

export const ROW_HEIGHT = 26;

export class VirtualList {
  constructor(container, { onWindow, onOpen, renderRow }) {
    this.container = container;
    this.onWindow = onWindow;
    this.onOpen = onOpen;
    this.renderRow = renderRow;
    this.total = 0;
    this.offset = 0;
    this.rows = [];
    this.selected = -1;
    this.spacer = document.createElement('div');
    this.spacer.className = 'spacer';
    this.layer = document.createElement('div');
    this.layer.className = 'rows';
    container.append(this.spacer, this.layer);
    this.lastAsked = '';
    container.addEventListener('scroll', () => this.ask());
    container.addEventListener('keydown', (e) => this.key(e));
  }

  /** The window the view needs: what is in sight, and as much again around it. */
  wanted() {
    const visible = Math.ceil(this.container.clientHeight / ROW_HEIGHT) || 20;
    const first = Math.floor(this.container.scrollTop / ROW_HEIGHT);
    const offset = Math.max(0, first - visible);
    return { offset, limit: Math.min(200, visible * 3) };
  }

  ask() {
    const w = this.wanted();
    const key = `${w.offset}:${w.limit}`;
    if (key !== this.lastAsked) {
      this.lastAsked = key;
      this.onWindow(w);
    }
    this.draw();
  }

  update(total, offset, rows) {
    this.total = total;
    this.offset = offset;
    this.rows = rows;
    this.spacer.style.height = `${total * ROW_HEIGHT}px`;
    this.draw();
  }

  draw() {
    const first = Math.floor(this.container.scrollTop / ROW_HEIGHT);
    const visible = Math.ceil(this.container.clientHeight / ROW_HEIGHT) + 1;
    const frag = document.createDocumentFragment();
    for (let i = first; i < Math.min(first + visible, this.total); i++) {
      const row = this.rows[i - this.offset];
      const el = this.renderRow(row, i);
      el.style.top = `${i * ROW_HEIGHT}px`;
      el.setAttribute('role', 'option');
      el.setAttribute('aria-selected', String(i === this.selected));
      el.id = `row-${i}`;
      if (row) el.addEventListener('click', () => this.open(i));
      frag.append(el);
    }
    this.layer.replaceChildren(frag);
    if (this.selected >= 0) this.container.setAttribute('aria-activedescendant', `row-${this.selected}`);
  }

  open(i) {
    this.selected = i;
    const row = this.rows[i - this.offset];
    if (row) this.onOpen(row);
    this.draw();
  }

  key(e) {
    const move = { ArrowDown: 1, ArrowUp: -1, PageDown: 10, PageUp: -10 }[e.key];
    if (move) {
      e.preventDefault();
      this.selected = Math.max(0, Math.min(this.total - 1, this.selected + move));
      const top = this.selected * ROW_HEIGHT;
      if (top < this.container.scrollTop) this.container.scrollTop = top;
      else if (top + ROW_HEIGHT > this.container.scrollTop + this.container.clientHeight)
        this.container.scrollTop = top + ROW_HEIGHT - this.container.clientHeight;
      this.ask();
    } else if (e.key === 'Enter' && this.selected >= 0) {
      e.preventDefault();
      this.open(this.selected);
    }
  }
}
