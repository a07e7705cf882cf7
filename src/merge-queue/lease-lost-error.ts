/** The driver lost its lease (or was paused past it): it must stop at once, without writing or merging. */
export class LeaseLostError extends Error {
  constructor() {
    super("another replica drives the merge queue now");
    this.name = "LeaseLostError";
  }
}
